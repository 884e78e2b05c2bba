"""End-to-end check of `latent serve` with a real Open Inference Protocol
client from the ecosystem: tritonclient[http] (NVIDIA Triton's Python
client) against a server on 127.0.0.1.

The server is built from this checkout (or $LATENT_BIN is used), serves the
committed golden undercomplete autoencoder and must reproduce the trainer's
recorded reconstruction, in JSON and in binary tensor encoding, report
health and metadata as Triton would, and answer errors the client can read.
tools/test.d/python-exports.sh runs it in the pinned venv of
tools/python/venv.sh (tools/python/requirements.txt).
"""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

httpclient = pytest.importorskip(
    "tritonclient.http",
    reason="tritonclient[http] is not installed (py=$(bash tools/python/venv.sh) installs tools/python/requirements.txt)")
from tritonclient.utils import InferenceServerException  # noqa: E402

onnx = pytest.importorskip("onnx", reason="onnx is needed to read the golden TensorProto files")
import onnx.numpy_helper  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GOLDEN = os.path.join(ROOT, "testdata", "golden", "ae-undercomplete")


def read_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(t)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    tmp = tempfile.mkdtemp(prefix="latent-serve-")
    binary = os.environ.get("LATENT_BIN")
    if not binary:
        binary = os.path.join(tmp, "latent")
        subprocess.run(["go", "build", "-o", binary, "./tools/latent"], cwd=ROOT, check=True)
    port = free_port()
    log = open(os.path.join(tmp, "serve.log"), "w+")
    proc = subprocess.Popen([binary, "serve", "--model", "ae=" + os.path.join(GOLDEN, "model.onnx"),
                             "--addr", f"127.0.0.1:{port}", "--max-batch", "16", "--max-delay", "1ms"],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"127.0.0.1:{port}"
    client = httpclient.InferenceServerClient(url=url, concurrency=4)
    deadline = time.time() + 30
    while True:
        try:
            if client.is_server_ready():
                break
        except Exception:
            pass
        if proc.poll() is not None or time.time() > deadline:
            log.seek(0)
            pytest.fail("latent serve did not become ready:\n" + log.read())
        time.sleep(0.1)
    yield client, url
    client.close()
    proc.terminate()  # SIGTERM: graceful drain
    assert proc.wait(timeout=30) == 0, "latent serve exited non-zero after SIGTERM"


def golden_io():
    x = read_pb(os.path.join(GOLDEN, "test_data_set_0", "input_0.pb"))
    y = read_pb(os.path.join(GOLDEN, "test_data_set_0", "output_0.pb"))
    return x, y


def test_health_and_metadata(server):
    client, _ = server
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready("ae")
    assert not client.is_model_ready("nope")
    meta = client.get_server_metadata()
    assert meta["name"] == "latent"
    md = client.get_model_metadata("ae")
    assert md["name"] == "ae"
    assert md["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 8]}]
    assert md["outputs"][0]["name"] == "reconstruction"


@pytest.mark.parametrize("binary", [True, False])
def test_infer_matches_trainer(server, binary):
    client, _ = server
    x, want = golden_io()
    inp = httpclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x, binary_data=binary)
    out = httpclient.InferRequestedOutput("reconstruction", binary_data=binary)
    res = client.infer("ae", [inp], outputs=[out], request_id="e2e-1")
    got = res.as_numpy("reconstruction")
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    assert res.get_response()["id"] == "e2e-1"


def test_concurrent_async_batches(server):
    client, _ = server
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


def test_errors_reach_the_client(server):
    client, url = server
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


def test_score_and_metrics(server):
    _, url = server
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
    assert 'latent_requests_total{code="200",endpoint="infer",model="ae"}' in text
    assert "latent_request_duration_seconds_bucket" in text
