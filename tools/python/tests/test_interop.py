"""Checks the committed Python-framework fixtures (testdata/interop) from the
Python side: each model passes onnx.checker.check_model(full_check=True),
keeps a dynamic batch dimension, and Python onnxruntime reproduces the
framework outputs recorded beside it within the fixture's tolerance. The
Go side (runtime/interop_test.go) runs the same files on latent's native
backend and through ONNX Runtime's C API.
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
INTEROP = os.path.join(ROOT, "testdata", "interop")
FOLDERS = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(INTEROP, "*", "*", "model.onnx")))


def _id(folder):
    return os.path.relpath(folder, INTEROP)


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


def test_fixture_set_is_complete():
    names = {_id(f) for f in FOLDERS}
    for model in ("dense_ae", "deep_flatten_ae", "conv_ae", "vae", "recommender_ae"):
        for exporter in ("dynamo", "torchscript"):
            assert "pytorch/%s-%s" % (model, exporter) in names
    assert "sklearn/mlp_regressor_ae" in names
    for model in ("standard_scaler_pca", "minmax_mlp_regressor", "isolation_forest", "one_class_svm", "kmeans",
                  "column_transformer_onehot"):
        assert "sklearn/%s" % model in names
    for model in ("resnet18", "mobilenet_v3_small", "efficientnet_b0", "convnext_tiny", "squeezenet1_1", "vit", "bert",
                  "lstm_ae", "gru_ae", "conv1d_ae", "transformer_ae", "conv2d_ae"):
        for exporter in ("dynamo", "torchscript"):
            assert "zoo/%s-%s" % (model, exporter) in names


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_checker_and_dynamic_batch(folder):
    model = onnx.load(os.path.join(folder, "model.onnx"))
    onnx.checker.check_model(model, full_check=True)
    for vi in list(model.graph.input) + list(model.graph.output):
        # Named (PyTorch, latent) or left unnamed (skl2onnx's None): either
        # way not a fixed size.
        batch = vi.type.tensor_type.shape.dim[0]
        assert batch.WhichOneof("value") != "dim_value", "%s has a fixed batch dimension %d" % (vi.name, batch.dim_value)


@pytest.mark.parametrize("folder", FOLDERS, ids=_id)
def test_onnxruntime_matches_framework(folder):
    if importlib.util.find_spec("onnxruntime") is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but onnxruntime is not installed for this Python (tools/python/venv.sh installs it)")
        pytest.skip("onnxruntime is not installed for this Python (use the venv of tools/python/venv.sh)")
    import onnxruntime as ort

    with open(os.path.join(folder, "tolerance.json")) as f:
        tol = json.load(f)
    sets = sorted(glob.glob(os.path.join(folder, "test_data_set_*")))
    if _id(folder).startswith("zoo/"):
        # The zoo: rtol 1e-4, and atol at most 1e-4 of the largest output
        # magnitude (make_fixtures.py rounds it to two digits).
        scale = max(float(np.max(np.abs(w))) for s in sets for w in _tensors(s, "output"))
        assert tol["rtol"] <= 1e-4 and tol["atol"] <= 1.05e-4 * max(scale, 1e-3)
    else:
        assert tol["atol"] <= 1e-4 and tol["rtol"] == 0
    sess = ort.InferenceSession(os.path.join(folder, "model.onnx"), providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    assert len(sets) >= 2, "want two batch sizes in %s" % folder
    batches = set()
    for s in sets:
        inputs, want = _tensors(s, "input"), _tensors(s, "output")
        batches.add(inputs[0].shape[0])
        got = sess.run(None, dict(zip(names, inputs)))
        assert len(got) == len(want)
        for k, (g, w) in enumerate(zip(got, want)):
            np.testing.assert_allclose(g, w, rtol=tol["rtol"], atol=tol["atol"], err_msg="%s output %d" % (s, k))
    assert len(batches) >= 2, "all data sets of %s use batch %s" % (folder, batches)
