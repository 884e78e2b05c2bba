"""End-to-end checks of `latent serve` with real Open Inference Protocol
clients from the ecosystem: tritonclient's HTTP and gRPC clients (NVIDIA
Triton's Python client), unchanged, against a server on 127.0.0.1.

The server is built from this checkout (or $LATENT_BIN is used) and serves a
model repository in Triton's layout: the committed golden undercomplete
autoencoder as ae/1/model.onnx, and an identity model with one input of every
datatype latent carries, written here with onnx.helper. It must reproduce the
trainer's recorded reconstruction over both protocols, in JSON, binary and
raw tensor encodings, round-trip every datatype exactly, report health,
metadata, statistics and the repository as Triton would, load and unload
models, and answer bad and cancelled requests with errors the client can
read (gRPC status codes). tools/test.d/python-exports.sh runs it in the
pinned venv of tools/python/venv.sh (tools/python/requirements.txt).
"""

import importlib
import json
import os
import queue
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest


def _need(module, reason):
    """Import module; without it the tests skip, except under CI, where the
    pinned venv (tools/python/requirements.txt) must provide it."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=reason)


httpclient = _need(
    "tritonclient.http",
    reason="tritonclient[http] is not installed (py=$(bash tools/python/venv.sh) installs tools/python/requirements.txt)")
grpcclient = _need(
    "tritonclient.grpc",
    reason="tritonclient[grpc] is not installed (py=$(bash tools/python/venv.sh) installs tools/python/requirements.txt)")
from tritonclient.utils import InferenceServerException  # noqa: E402
import ml_dtypes  # noqa: E402  (a tritonclient dependency)

onnx = _need("onnx", reason="onnx is needed to read the golden TensorProto files")
import onnx.helper  # noqa: E402
import onnx.numpy_helper  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GOLDEN = os.path.join(ROOT, "testdata", "golden", "ae-undercomplete")
MAX_REQUEST_BYTES = 1 << 20

# Protocol datatype, numpy type, ONNX element type, test values.
DATATYPES = [
    ("FP32", np.float32, onnx.TensorProto.FLOAT, [[1.5, -2.0], [np.inf, 4.25]]),
    ("FP64", np.float64, onnx.TensorProto.DOUBLE, [[0.1, 1e300], [-3.0, np.nan]]),
    ("FP16", np.float16, onnx.TensorProto.FLOAT16, [[0.5, -2.0], [3.0, 65504.0]]),
    ("INT64", np.int64, onnx.TensorProto.INT64, [[9007199254740993, -1], [0, 7]]),
    ("INT32", np.int32, onnx.TensorProto.INT32, [[2147483647, -2147483648], [1, 2]]),
    ("INT8", np.int8, onnx.TensorProto.INT8, [[-128, 127], [0, 1]]),
    ("UINT8", np.uint8, onnx.TensorProto.UINT8, [[0, 255], [3, 4]]),
    ("BOOL", np.bool_, onnx.TensorProto.BOOL, [[True, False], [False, True]]),
    ("INT16", np.int16, onnx.TensorProto.INT16, [[-32768, 32767], [0, 1]]),
    ("UINT16", np.uint16, onnx.TensorProto.UINT16, [[0, 65535], [3, 4]]),
    ("UINT32", np.uint32, onnx.TensorProto.UINT32, [[0, 4294967295], [3, 4]]),
    ("UINT64", np.uint64, onnx.TensorProto.UINT64, [[0, 18446744073709551615], [3, 4]]),
    # tritonclient takes BF16 as ml_dtypes.bfloat16 (binary only over HTTP).
    ("BF16", ml_dtypes.bfloat16, onnx.TensorProto.BFLOAT16, [[1.5, -2.0], [np.inf, 256.0]]),
    # BYTES: ONNX strings, any bytes (the last is not UTF-8).
    ("BYTES", np.object_, onnx.TensorProto.STRING, [[b"h\xc3\xa9llo", b""], [b'a,b]"c', b"\x00\xff"]]),
]
# What JSON cannot carry: inf and NaN, BF16 (tritonclient sends it binary
# only) and BYTES that are not UTF-8.
JSON_UNSAFE = {"FP32", "FP64", "BF16", "BYTES"}


def read_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(t)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def identity_model(path):
    """One Identity per datatype: input "fp32" [n, 2] -> output "fp32_out" …"""
    nodes, inputs, outputs = [], [], []
    for name, _, elem, _ in DATATYPES:
        n = name.lower()
        inputs.append(onnx.helper.make_tensor_value_info(n, elem, ["n", 2]))
        outputs.append(onnx.helper.make_tensor_value_info(n + "_out", elem, ["n", 2]))
        nodes.append(onnx.helper.make_node("Identity", [n], [n + "_out"]))
    graph = onnx.helper.make_graph(nodes, "identities", inputs, outputs)
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save(model, path)


def latent_binary(tmp):
    binary = os.environ.get("LATENT_BIN")
    if not binary:
        binary = os.path.join(tmp, "latent")
        subprocess.run(["go", "build", "-o", binary, "./tools/latent"], cwd=ROOT, check=True)
    return binary


class Server:
    """latent serve on free loopback ports, REST and gRPC."""

    def __init__(self, repo, *flags):
        self.tmp = tempfile.mkdtemp(prefix="latent-serve-")
        self.http_url = f"127.0.0.1:{free_port()}"
        self.grpc_url = f"127.0.0.1:{free_port()}"
        self.log = open(os.path.join(self.tmp, "serve.log"), "w+")
        self.proc = subprocess.Popen(
            [latent_binary(self.tmp), "serve", "--model-repository", repo, "--addr", self.http_url,
             "--grpc-addr", self.grpc_url, "--max-request-bytes", str(MAX_REQUEST_BYTES), *flags],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.http = httpclient.InferenceServerClient(url=self.http_url, concurrency=4)
        self.grpc = grpcclient.InferenceServerClient(url=self.grpc_url)
        deadline = time.time() + 60
        while True:
            try:
                if self.http.is_server_ready() and self.grpc.is_server_ready():
                    break
            except Exception:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                pytest.fail("latent serve did not become ready:\n" + self.logs())
            time.sleep(0.1)

    def logs(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        self.http.close()
        self.grpc.close()
        self.proc.terminate()  # SIGTERM: graceful drain
        code = self.proc.wait(timeout=30)
        shutil.rmtree(self.tmp, ignore_errors=True)
        assert code == 0, "latent serve exited %d after SIGTERM:\n%s" % (code, self.logs())


@pytest.fixture(scope="module")
def repo():
    d = tempfile.mkdtemp(prefix="latent-repo-")
    os.makedirs(os.path.join(d, "ae", "1"))
    shutil.copy(os.path.join(GOLDEN, "model.onnx"), os.path.join(d, "ae", "1", "model.onnx"))
    identity_model(os.path.join(d, "identity", "1", "model.onnx"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def server(repo):
    s = Server(repo, "--max-batch", "16", "--max-delay", "1ms")
    yield s
    s.stop()


def golden_io():
    x = read_pb(os.path.join(GOLDEN, "test_data_set_0", "input_0.pb"))
    y = read_pb(os.path.join(GOLDEN, "test_data_set_0", "output_0.pb"))
    return x, y


def grpc_status(e):
    return str(e.value.status())


# ---- HTTP ----

def test_http_health_and_metadata(server):
    client = server.http
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready("ae")
    assert not client.is_model_ready("nope")
    meta = client.get_server_metadata()
    assert meta["name"] == "latent"
    assert {"model_repository", "statistics"} <= set(meta["extensions"])
    md = client.get_model_metadata("ae")
    assert md["name"] == "ae" and md["versions"] == ["1"]
    assert md["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 8]}]
    assert md["outputs"][0]["name"] == "reconstruction"


@pytest.mark.parametrize("binary", [True, False])
def test_http_infer_matches_trainer(server, binary):
    client = server.http
    x, want = golden_io()
    inp = httpclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x, binary_data=binary)
    out = httpclient.InferRequestedOutput("reconstruction", binary_data=binary)
    res = client.infer("ae", [inp], outputs=[out], request_id="e2e-1")
    got = res.as_numpy("reconstruction")
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    assert res.get_response()["id"] == "e2e-1"


def test_http_datatypes_round_trip(server):
    inputs = []
    for name, np_type, _, values in DATATYPES:
        inp = httpclient.InferInput(name.lower(), [2, 2], name)
        inp.set_data_from_numpy(np.array(values, dtype=np_type), binary_data=name in JSON_UNSAFE)
        inputs.append(inp)
    res = server.http.infer("identity", inputs)
    for name, np_type, _, values in DATATYPES:
        got = res.as_numpy(name.lower() + "_out")
        want = np.array(values, dtype=np_type)
        assert got.dtype == want.dtype, name
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_http_bytes_as_json(server):
    """BYTES as JSON strings both ways (UTF-8 text, commas, quotes, NUL)."""
    values = np.array([[b"h\xc3\xa9llo", b""], [b'a,b]"c', b"\x00x"]], dtype=np.object_)
    inputs = []
    for name, np_type, _, v in DATATYPES:
        inp = httpclient.InferInput(name.lower(), [2, 2], name)
        data = values if name == "BYTES" else np.array(v, dtype=np_type)
        inp.set_data_from_numpy(data, binary_data=name != "BYTES")
        inputs.append(inp)
    out = httpclient.InferRequestedOutput("bytes_out", binary_data=False)
    res = server.http.infer("identity", inputs, outputs=[out])
    body = res.get_response()
    assert body["outputs"][0]["data"] == ["h\u00e9llo", "", 'a,b]"c', "\x00x"]
    # tritonclient gives JSON BYTES back as str.
    np.testing.assert_array_equal(res.as_numpy("bytes_out"), [[v.decode() for v in row] for row in values])


def test_http_concurrent_async_batches(server):
    client = server.http
    x, want = golden_io()
    rng = np.random.default_rng(3)
    batches = [rng.normal(size=(n, 8)).astype(np.float32) for n in (1, 3, 5, 2, 7, 4)]
    # Every request carries the golden rows first, so each answer is checked
    # against the trainer's output whatever else the server merged it with.
    reqs = []
    for b in batches:
        data = np.concatenate([x, b])
        inp = httpclient.InferInput("input", list(data.shape), "FP32")
        inp.set_data_from_numpy(data)
        reqs.append((data, client.async_infer("ae", [inp])))
    for data, r in reqs:
        got = r.get_result().as_numpy("reconstruction")
        assert got.shape == data.shape
        np.testing.assert_allclose(got[: len(x)], want, atol=1e-5, rtol=0)


def test_http_errors_reach_the_client(server):
    client = server.http
    x, _ = golden_io()
    inp = httpclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    with pytest.raises(InferenceServerException, match="unknown model"):
        client.infer("nope", [inp])
    bad = httpclient.InferInput("input", [1, 3], "FP32")
    bad.set_data_from_numpy(np.zeros((1, 3), np.float32))
    with pytest.raises(InferenceServerException, match=r"expected shape \[batch,8\]"):
        client.infer("ae", [bad])
    with pytest.raises(InferenceServerException, match="no input"):
        wrong = httpclient.InferInput("code", list(x.shape), "FP32")
        wrong.set_data_from_numpy(x)
        client.infer("ae", [wrong])
    big = np.zeros((MAX_REQUEST_BYTES // 32 + 1, 8), np.float32)
    inp = httpclient.InferInput("input", list(big.shape), "FP32")
    inp.set_data_from_numpy(big)
    with pytest.raises(InferenceServerException, match="exceeds %d bytes" % MAX_REQUEST_BYTES):
        client.infer("ae", [inp])


def test_http_statistics_and_repository(server):
    client = server.http
    x, _ = golden_io()
    before = client.get_inference_statistics("identity")["model_stats"][0]
    inp = httpclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    client.infer("ae", [inp])
    stats = client.get_inference_statistics("ae")["model_stats"]
    assert len(stats) == 1 and stats[0]["name"] == "ae" and stats[0]["version"] == "1"
    s = stats[0]
    assert s["inference_count"] >= len(x) and s["execution_count"] >= 1
    assert s["inference_stats"]["success"]["count"] >= 1 and s["inference_stats"]["compute_infer"]["ns"] > 0
    all_stats = client.get_inference_statistics()["model_stats"]
    assert [m["name"] for m in all_stats] == ["ae", "identity"]
    assert before["inference_count"] == all_stats[1]["inference_count"]

    index = client.get_model_repository_index()
    assert {(m["name"], m["state"]) for m in index} == {("ae", "READY"), ("identity", "READY")}
    client.unload_model("identity")
    assert not client.is_model_ready("identity")
    index = {m["name"]: m for m in client.get_model_repository_index()}
    assert index["identity"]["state"] == "UNAVAILABLE" and index["identity"]["reason"] == "unloaded"
    client.load_model("identity")
    assert client.is_model_ready("identity")
    with pytest.raises(InferenceServerException, match="no folder"):
        client.load_model("nope")
    with pytest.raises(InferenceServerException, match='load parameter "config" is not supported'):
        client.load_model("identity", config="{}")


# ---- gRPC ----

def test_grpc_health_and_metadata(server):
    client = server.grpc
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready("ae")
    assert client.is_model_ready("ae", "1")
    assert not client.is_model_ready("ae", "2")
    assert not client.is_model_ready("nope")
    meta = client.get_server_metadata()
    assert meta.name == "latent"
    assert {"model_repository", "statistics"} <= set(meta.extensions)
    md = client.get_model_metadata("ae")
    assert md.name == "ae" and list(md.versions) == ["1"]
    assert [(t.name, t.datatype, list(t.shape)) for t in md.inputs] == [("input", "FP32", [-1, 8])]
    assert [t.name for t in md.outputs] == ["reconstruction"]
    mj = client.get_model_metadata("identity", as_json=True)
    assert [t["datatype"] for t in mj["inputs"]] == [d[0] for d in DATATYPES]


def test_grpc_infer_matches_trainer(server):
    x, want = golden_io()
    inp = grpcclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    res = server.grpc.infer("ae", [inp], outputs=[grpcclient.InferRequestedOutput("reconstruction")],
                            request_id="g-1")
    got = res.as_numpy("reconstruction")
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    r = res.get_response()
    assert r.id == "g-1" and r.model_name == "ae" and r.model_version == "1"


def test_grpc_datatypes_round_trip(server):
    inputs = []
    for name, np_type, _, values in DATATYPES:
        inp = grpcclient.InferInput(name.lower(), [2, 2], name)
        inp.set_data_from_numpy(np.array(values, dtype=np_type))
        inputs.append(inp)
    res = server.grpc.infer("identity", inputs)
    for name, np_type, _, values in DATATYPES:
        got = res.as_numpy(name.lower() + "_out")
        want = np.array(values, dtype=np_type)
        assert got.dtype == want.dtype and got.shape == (2, 2), name
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_grpc_concurrent_async_and_stream(server):
    client = server.grpc
    x, want = golden_io()
    rng = np.random.default_rng(5)
    done = queue.Queue()
    sent = []
    for n in (1, 3, 5, 2, 7, 4):
        data = np.concatenate([x, rng.normal(size=(n, 8)).astype(np.float32)])
        inp = grpcclient.InferInput("input", list(data.shape), "FP32")
        inp.set_data_from_numpy(data)
        sent.append(data)
        client.async_infer("ae", [inp], callback=lambda result, error, n=len(sent) - 1: done.put((n, result, error)))
    for _ in sent:
        n, result, error = done.get(timeout=30)
        assert error is None, error
        got = result.as_numpy("reconstruction")
        assert got.shape == sent[n].shape
        np.testing.assert_allclose(got[: len(x)], want, atol=1e-5, rtol=0)

    # A stream: answers in order, a bad request gets its error and the
    # stream goes on.
    answers = queue.Queue()
    client.start_stream(callback=lambda result, error: answers.put((result, error)))
    good = grpcclient.InferInput("input", list(x.shape), "FP32")
    good.set_data_from_numpy(x)
    bad = grpcclient.InferInput("input", [1, 3], "FP32")
    bad.set_data_from_numpy(np.zeros((1, 3), np.float32))
    client.async_stream_infer("ae", [good], request_id="s1")
    client.async_stream_infer("ae", [bad], request_id="s2")
    client.async_stream_infer("ae", [good], request_id="s3")
    got = [answers.get(timeout=30) for _ in range(3)]
    client.stop_stream()
    assert got[0][1] is None and got[0][0].get_response().id == "s1"
    np.testing.assert_allclose(got[0][0].as_numpy("reconstruction"), want, atol=1e-5, rtol=0)
    assert got[1][0] is None and "expected shape [batch,8]" in got[1][1].message()
    assert got[2][1] is None and got[2][0].get_response().id == "s3"


def test_grpc_bad_requests(server):
    client = server.grpc
    x, _ = golden_io()
    inp = grpcclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    with pytest.raises(InferenceServerException, match='unknown model "nope"') as e:
        client.infer("nope", [inp])
    assert grpc_status(e) == "StatusCode.NOT_FOUND"
    with pytest.raises(InferenceServerException, match='no version "9"') as e:
        client.infer("ae", [inp], model_version="9")
    assert grpc_status(e) == "StatusCode.NOT_FOUND"
    bad = grpcclient.InferInput("input", [1, 3], "FP32")
    bad.set_data_from_numpy(np.zeros((1, 3), np.float32))
    with pytest.raises(InferenceServerException, match=r"expected shape \[batch,8\], got \[1 3\]") as e:
        client.infer("ae", [bad])
    assert grpc_status(e) == "StatusCode.INVALID_ARGUMENT"
    wrong = grpcclient.InferInput("input", list(x.shape), "FP64")
    wrong.set_data_from_numpy(x.astype(np.float64))
    with pytest.raises(InferenceServerException, match="expected datatype FP32, got FP64") as e:
        client.infer("ae", [wrong])
    assert grpc_status(e) == "StatusCode.INVALID_ARGUMENT"
    with pytest.raises(InferenceServerException, match='no output "code"') as e:
        client.infer("ae", [inp], outputs=[grpcclient.InferRequestedOutput("code")])
    assert grpc_status(e) == "StatusCode.INVALID_ARGUMENT"
    strings = grpcclient.InferInput("input", [1, 1], "BYTES")
    strings.set_data_from_numpy(np.array([[b"hi"]], dtype=np.object_))
    with pytest.raises(InferenceServerException, match="expected datatype FP32, got BYTES") as e:
        client.infer("ae", [strings])
    assert grpc_status(e) == "StatusCode.INVALID_ARGUMENT"
    wide = grpcclient.InferInput("input", [1, 8], "FP16")
    wide.set_data_from_numpy(np.zeros((1, 8), np.float16))
    with pytest.raises(InferenceServerException, match="expected datatype FP32, got FP16") as e:
        client.infer("ae", [wide])
    assert grpc_status(e) == "StatusCode.INVALID_ARGUMENT"
    # The same request-size limit as REST.
    big = np.zeros((MAX_REQUEST_BYTES // 32 + 1, 8), np.float32)
    inp = grpcclient.InferInput("input", list(big.shape), "FP32")
    inp.set_data_from_numpy(big)
    with pytest.raises(InferenceServerException) as e:
        client.infer("ae", [inp])
    assert grpc_status(e) == "StatusCode.RESOURCE_EXHAUSTED"
    assert client.is_server_ready()


def test_grpc_statistics_and_repository(server):
    client = server.grpc
    x, _ = golden_io()
    inp = grpcclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)
    client.infer("ae", [inp])
    stats = client.get_inference_statistics("ae").model_stats
    assert len(stats) == 1 and stats[0].name == "ae" and stats[0].version == "1"
    assert stats[0].inference_count >= len(x) and stats[0].execution_count >= 1
    assert stats[0].inference_stats.success.count >= 1 and stats[0].inference_stats.compute_infer.ns > 0
    assert [m.name for m in client.get_inference_statistics().model_stats] == ["ae", "identity"]
    with pytest.raises(InferenceServerException, match='unknown model "nope"') as e:
        client.get_inference_statistics("nope")
    assert grpc_status(e) == "StatusCode.NOT_FOUND"

    index = client.get_model_repository_index()
    assert {(m.name, m.state) for m in index.models} == {("ae", "READY"), ("identity", "READY")}
    client.unload_model("identity")
    assert not client.is_model_ready("identity")
    state = {m.name: (m.state, m.reason) for m in client.get_model_repository_index().models}
    assert state["identity"] == ("UNAVAILABLE", "unloaded")
    client.load_model("identity")
    assert client.is_model_ready("identity")
    with pytest.raises(InferenceServerException, match="no folder") as e:
        client.load_model("nope")
    assert grpc_status(e) == "StatusCode.NOT_FOUND"


def test_hot_reload_over_both_protocols(server, repo):
    """A new version folder and a load call switch the model without a
    restart; both clients see the new version."""
    x, want = golden_io()
    os.makedirs(os.path.join(repo, "ae", "2"))
    shutil.copy(os.path.join(GOLDEN, "model.onnx"), os.path.join(repo, "ae", "2", "model.onnx"))
    try:
        server.grpc.load_model("ae")
        assert list(server.grpc.get_model_metadata("ae").versions) == ["2"]
        assert server.http.get_model_metadata("ae")["versions"] == ["2"]
        inp = grpcclient.InferInput("input", list(x.shape), "FP32")
        inp.set_data_from_numpy(x)
        res = server.grpc.infer("ae", [inp], model_version="2")
        np.testing.assert_allclose(res.as_numpy("reconstruction"), want, atol=1e-5, rtol=0)
    finally:
        shutil.rmtree(os.path.join(repo, "ae", "2"))
        server.http.load_model("ae")
    assert server.http.get_model_metadata("ae")["versions"] == ["1"]


def pending(server):
    """The server's latent_requests_pending gauge."""
    with urllib.request.urlopen(f"http://{server.http_url}/metrics") as r:
        for line in r.read().decode().splitlines():
            if line.startswith("latent_requests_pending "):
                return float(line.split()[1])
    raise AssertionError("no latent_requests_pending in /metrics")


@pytest.fixture(scope="module")
def slow_server(repo):
    """A server whose batcher waits 2 s for company, so a lone request stays
    in flight long enough to be cancelled."""
    s = Server(repo, "--max-batch", "64", "--max-delay", "2s")
    yield s
    s.stop()


def test_grpc_cancellation(slow_server):
    client = slow_server.grpc
    x, want = golden_io()
    inp = grpcclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x)

    # A deadline that passes while the request waits.
    with pytest.raises(InferenceServerException) as e:
        client.infer("ae", [inp], client_timeout=1.0)  # passes inside the 2 s batch wait
    # The client's deadline timer usually ends the call first; on a loaded
    # machine the server's timer for the same deadline can win, and gRPC
    # servers end such a stream with RST_STREAM(CANCEL), which clients read
    # as CANCELLED. Either way the server counts a failure (below).
    assert grpc_status(e) in ("StatusCode.DEADLINE_EXCEEDED", "StatusCode.CANCELLED")

    # A request the client cancels.
    done = queue.Queue()
    ctx = client.async_infer("ae", [inp], callback=lambda result, error: done.put((result, error)))
    # Cancel once the server holds it (waiting for its batch).
    deadline = time.time() + 10
    while pending(slow_server) != 1 and time.time() < deadline:
        time.sleep(0.01)
    assert pending(slow_server) == 1
    ctx.cancel()
    result, error = done.get(timeout=10)
    assert result is None and "CANCELLED" in str(error.status())

    # The server counted both as failures, ran neither, and still serves.
    def fails():
        return client.get_inference_statistics("ae").model_stats[0].inference_stats.fail.count
    deadline = time.time() + 10
    while fails() < 2 and time.time() < deadline:
        time.sleep(0.05)
    assert fails() == 2
    res = client.infer("ae", [inp], client_timeout=30)
    np.testing.assert_allclose(res.as_numpy("reconstruction"), want, atol=1e-5, rtol=0)
    stats = client.get_inference_statistics("ae").model_stats[0]
    assert stats.execution_count == 1, "a cancelled request ran"
    assert stats.inference_stats.success.count == 1
    assert pending(slow_server) == 0


def test_score_and_metrics(server):
    """Last: the metrics count what the tests above sent over both protocols."""
    url = server.http_url
    x, want = golden_io()
    mse = ((x.astype(np.float64) - want) ** 2).mean(axis=1)
    thr = float(mse.min()) / 2
    body = json.dumps({"inputs": [{"name": "input", "shape": list(x.shape), "datatype": "FP32",
                                   "data": x.tolist()}]}).encode()
    req = urllib.request.Request(f"http://{url}/v2/models/ae/score?threshold={thr}", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        reply = json.load(r)
    outs = {o["name"]: o["data"] for o in reply["outputs"]}
    np.testing.assert_allclose(outs["score"], mse, rtol=1e-5)
    assert outs["anomaly"] == [bool(v > thr) for v in mse]
    req = urllib.request.Request(f"http://{url}/v2/models/ae/score", data=body)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req)
    assert e.value.code == 400 and "latent.threshold" in json.load(e.value)["error"]
    with urllib.request.urlopen(f"http://{url}/metrics") as r:
        text = r.read().decode()
    assert 'latent_requests_total{code="200",endpoint="infer",model="ae",protocol="http"}' in text
    assert 'latent_requests_total{code="OK",endpoint="infer",model="ae",protocol="grpc"}' in text
    assert "latent_request_duration_seconds_bucket" in text
