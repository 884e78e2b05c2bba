"""Checks latent's exported autoencoders with the onnx Python package.

Every exported file (the committed goldens testdata/golden/ae-*/model.onnx,
plus any folders listed in $LATENT_EXPORTS, e.g. fresh exports at other
opsets written by tools/test.d/python-exports.sh) must pass
onnx.checker.check_model(full_check=True), carry readable latent.* metadata,
follow the naming contract, and, run by onnx's reference evaluator and by
Python onnxruntime, reproduce the trainer outputs recorded beside it. The
dense kinds, conv, vae and conv-vae are all covered; encoder then decoder
must compose to the full model, and a VAE's generate graph must be its
decoder.
"""

import glob
import importlib.util
import json
import os

import numpy as np
import onnx
import onnx.numpy_helper
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
GOLDEN = os.path.join(ROOT, "testdata", "golden")
DENSE_KINDS = ["undercomplete", "deep", "sparse-l1", "sparse-kl", "k-sparse",
               "denoising", "contractive", "stacked", "recommender"]
IMAGE_KINDS = ["conv", "vae", "conv-vae"]
VAE_KINDS = ["vae", "conv-vae"]
KINDS = DENSE_KINDS + IMAGE_KINDS
PARTS = {"model": ("input", "reconstruction"),
         "encoder": ("input", "code"),
         "decoder": ("code", "reconstruction"),
         "generate": ("noise", "reconstruction")}
DENSE_OPS = {"Gemm", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Selu", "Softplus",
             "Sub", "Mul", "Div", "Add", "TopK", "Shape", "ConstantOfShape", "ScatterElements"}
IMAGE_OPS = DENSE_OPS | {"Conv", "ConvTranspose", "BatchNormalization", "Flatten", "Reshape",
                         "Resize", "Upsample", "MaxPool", "AveragePool", "Identity", "Exp"}


def _folders():
    roots = [GOLDEN] + [p for p in os.environ.get("LATENT_EXPORTS", "").split(os.pathsep) if p]
    out = []
    for root in roots:
        out += sorted(glob.glob(os.path.join(root, "ae-*", "model.onnx")))
    return [os.path.dirname(p) for p in out]


FOLDERS = _folders()


def _id(folder):
    return os.path.relpath(folder, ROOT) if folder.startswith(ROOT) else folder


def _part(folder):
    name = os.path.basename(folder)
    for part in ("encoder", "decoder", "generate"):
        if name.endswith("-" + part):
            return part
    return "model"


def _meta(model):
    return {p.key: p.value for p in model.metadata_props}


def test_every_kind_exported():
    # Guards against an empty parametrisation passing silently.
    names = {os.path.basename(f) for f in FOLDERS}
    for kind in KINDS:
        suffixes = ("", "-encoder", "-decoder") + (("-generate",) if kind in VAE_KINDS else ())
        for suffix in suffixes:
            assert "ae-" + kind + suffix in names, "missing golden export ae-%s%s (go run ./tools/mkexports)" % (kind, suffix)


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_check_model_full(folder):
    model = onnx.load(os.path.join(folder, "model.onnx"))
    onnx.checker.check_model(model, full_check=True)


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_metadata(folder):
    model = onnx.load(os.path.join(folder, "model.onnx"))
    md = _meta(model)
    assert md["latent.format_version"] == "1"
    assert md["latent.part"] == _part(folder)
    assert md["latent.kind"] in KINDS
    spec = json.loads(md["latent.spec"])
    assert spec["kind"] == md["latent.kind"]
    assert int(md["latent.input_size"]) == spec["input"]
    if md["latent.kind"] in ("conv", "conv-vae"):
        assert int(np.prod(spec["image"])) == spec["input"]
    assert int(md["latent.code_size"]) == spec["code"]
    assert md["latent.loss"] == spec["loss"]
    assert md["latent.input_scaling"] in ("none", "minmax", "standard")
    assert md["latent.input_scaling_applied"] == "in-graph"
    offset = json.loads(md["latent.input_offset"])
    scale = json.loads(md["latent.input_scale"])
    if md["latent.input_scaling"] == "none":
        assert offset == [] and scale == []
    else:
        assert len(offset) == len(scale) == spec["input"]
        assert all(s != 0 for s in scale)
    training = json.loads(md["latent.training"])
    assert training["epochs"] >= 1
    assert np.isfinite(training["final_loss"])
    assert training["data_shape"][1] == spec["input"]
    if "latent.threshold" in md:
        assert np.isfinite(float(md["latent.threshold"]))
    assert model.producer_name == "latent" and model.producer_version
    assert model.doc_string and model.graph.doc_string


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_names_and_operators(folder):
    model = onnx.load(os.path.join(folder, "model.onnx"))
    part = _part(folder)
    md = _meta(model)
    kind = md["latent.kind"]
    spec = json.loads(md["latent.spec"])
    want_in, want_out = PARTS[part]
    want_outs = [want_out]
    if kind in VAE_KINDS and part == "encoder":
        want_outs = ["code", "mu", "logvar"]
    init_names = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in init_names]
    assert [i.name for i in inputs] == [want_in]
    assert [o.name for o in model.graph.output] == want_outs
    for vi in inputs + list(model.graph.output):
        dims = vi.type.tensor_type.shape.dim
        assert dims[0].dim_param == "batch"
        want = [spec["code"]] if vi.name in ("code", "mu", "logvar", "noise") else (
            spec["image"] if kind in ("conv", "conv-vae") else [spec["input"]])
        assert [d.dim_value for d in dims[1:]] == list(want), "%s dims %s, want [batch]+%s" % (vi.name, dims, want)
        assert vi.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    ops = [n.op_type for n in model.graph.node]
    allowed = IMAGE_OPS if kind in IMAGE_KINDS else DENSE_OPS
    assert set(ops) <= allowed, "unexpected operators %s" % (set(ops) - allowed)
    for n in model.graph.node:
        if n.op_type == "Gemm":
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            assert attrs.get("transB") == 1
    if kind == "k-sparse" and part != "decoder":
        assert "TopK" in ops and "ScatterElements" in ops


def _tensors(set_dir, prefix):
    out = []
    for i in range(16):
        p = os.path.join(set_dir, "%s_%d.pb" % (prefix, i))
        if not os.path.exists(p):
            break
        t = onnx.TensorProto()
        with open(p, "rb") as f:
            t.ParseFromString(f.read())
        out.append(onnx.numpy_helper.to_array(t))
    return out


def _tolerance(folder):
    """atol, rtol from tolerance.json (the Go side's defaults otherwise)."""
    p = os.path.join(folder, "tolerance.json")
    if not os.path.exists(p):
        return 1e-5, 0.0
    with open(p) as f:
        tol = json.load(f)
    return tol["atol"], tol["rtol"]


def _sets(folder):
    sets = sorted(glob.glob(os.path.join(folder, "test_data_set_*")))
    assert sets, "no test_data_set_N in %s" % folder
    return sets


def _run_sets(folder, run):
    """run(x) returns every graph output, in order."""
    atol, rtol = _tolerance(folder)
    for s in _sets(folder):
        (x,) = _tensors(s, "input")
        want = _tensors(s, "output")
        got = run(x)
        assert len(got) == len(want), "%s: %d outputs, %d recorded" % (s, len(got), len(want))
        for k, (g, w) in enumerate(zip(got, want)):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg="%s output %d" % (s, k))


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_reference_evaluator_matches_trainer(folder):
    ref = pytest.importorskip("onnx.reference", reason="onnx < 1.13 has no reference evaluator")
    model = onnx.load(os.path.join(folder, "model.onnx"))
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    new_ops = [_inference_batch_norm()] if opset < 14 else None
    sess = ref.ReferenceEvaluator(model, new_ops=new_ops)
    name = sess.input_names[0]
    _run_sets(folder, lambda x: sess.run(None, {name: x}))


def _inference_batch_norm():
    """BatchNormalization for opsets 9-13 in inference mode.

    onnx's reference evaluator (1.17) treats the momentum attribute, which it
    fills with its default 0.9, as a request for training-mode statistics
    and normalises with the batch's own mean and variance. In those opsets a
    node with one output is inference: y = scale (x - mean) / sqrt(var + eps) + bias.
    """
    from onnx.reference.op_run import OpRun

    class BatchNormalization(OpRun):
        op_domain = ""

        def _run(self, x, scale, bias, mean, var, epsilon=None, momentum=None, training_mode=None):
            eps = 1e-5 if epsilon is None else epsilon
            shape = [1, -1] + [1] * (x.ndim - 2)
            y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * scale.reshape(shape) + bias.reshape(shape)
            return (y.astype(x.dtype),)

    return BatchNormalization


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_onnxruntime_matches_trainer(folder):
    sess = _ort_session(folder)
    name = sess.get_inputs()[0].name
    _run_sets(folder, lambda x: sess.run(None, {name: x}))


def _ort_session(folder):
    if importlib.util.find_spec("onnxruntime") is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but onnxruntime is not installed for this Python (tools/python/venv.sh installs it)")
        pytest.skip("onnxruntime is not installed for this Python (use the venv of tools/python/venv.sh)")
    import onnxruntime as ort
    return ort.InferenceSession(os.path.join(folder, "model.onnx"), providers=["CPUExecutionProvider"])


MODEL_FOLDERS = [f for f in FOLDERS if _part(f) == "model"]


@pytest.mark.parametrize("folder", MODEL_FOLDERS, ids=_id)
def test_encoder_then_decoder_is_model(folder):
    # encoder.onnx and decoder.onnx, run one after the other in onnxruntime,
    # give the full model's reconstruction (and the recorded trainer output).
    enc, dec, full = _ort_session(folder + "-encoder"), _ort_session(folder + "-decoder"), _ort_session(folder)
    code_idx = [o.name for o in enc.get_outputs()].index("code")
    atol, rtol = _tolerance(folder)
    for s in _sets(folder):
        (x,) = _tensors(s, "input")
        (want,) = _tensors(s, "output")
        code = enc.run(None, {"input": x})[code_idx]
        (composed,) = dec.run(None, {"code": code})
        (direct,) = full.run(None, {"input": x})
        np.testing.assert_allclose(composed, direct, rtol=0, atol=1e-5, err_msg="%s: decoder(encoder(x)) vs model(x)" % s)
        np.testing.assert_allclose(composed, want, rtol=rtol, atol=atol, err_msg="%s: decoder(encoder(x)) vs trainer" % s)


@pytest.mark.parametrize("folder", [f for f in FOLDERS if _part(f) == "generate"], ids=_id)
def test_generate_is_decoder(folder):
    # A VAE's generate.onnx maps noise z to samples exactly as its decoder maps codes.
    gen = _ort_session(folder)
    dec = _ort_session(folder[: -len("-generate")] + "-decoder")
    for s in _sets(folder):
        (z,) = _tensors(s, "input")
        (a,) = gen.run(None, {"noise": z})
        (b,) = dec.run(None, {"code": z})
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6, err_msg=s)
