"""Regenerates testdata/interop: small PyTorch and scikit-learn models
exported to ONNX, with inputs and the framework's own outputs in the
ONNX backend-test layout (model.onnx beside test_data_set_N/input_K.pb and
output_K.pb).

    py=$(bash tools/python/venv.sh fixtures)
    "$py" tools/python/make_fixtures.py            # every fixture
    "$py" tools/python/make_fixtures.py dense_ae   # only names containing this
    "$py" tools/python/make_fixtures.py --full-zoo # the full-size benchmark zoo, into a cache

PyTorch models are exported twice: with the exporter recent torch uses by
default (dynamo=True, opset 18) into pytorch/<name>-dynamo and with the
TorchScript exporter (dynamo=False, opset 17) into pytorch/<name>-torchscript,
both with a dynamic batch dimension named "batch". The benchmark zoo
(tools/python/zoo.py: torchvision and transformers architectures, sequence,
convolutional and transformer autoencoders) is exported the same way: its
reduced-width copies into zoo/<name>-<exporter> (committed), its full-size
models with --full-zoo into ~/.cache/latent/zoo (for `latent bench --zoo`,
never committed). Every data set is checked
with onnxruntime against the framework before it is written, so a fixture
that ONNX Runtime cannot reproduce is never committed. Go's
runtime/interop_test.go runs them all on the native and ORT backends.
"""

import argparse
import json
import os
import shutil
import sys
import warnings

import numpy as np
import onnx
import onnx.numpy_helper
import onnxruntime as ort

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "testdata", "interop")
ATOL = 1e-4
SEED = 20261122


def write_set(folder, idx, in_names, inputs, out_names, outputs):
    d = os.path.join(folder, "test_data_set_%d" % idx)
    os.makedirs(d, exist_ok=True)
    for k, (n, a) in enumerate(zip(in_names, inputs)):
        with open(os.path.join(d, "input_%d.pb" % k), "wb") as f:
            f.write(onnx.numpy_helper.from_array(np.ascontiguousarray(a), n).SerializeToString())
    for k, (n, a) in enumerate(zip(out_names, outputs)):
        with open(os.path.join(d, "output_%d.pb" % k), "wb") as f:
            f.write(onnx.numpy_helper.from_array(np.ascontiguousarray(a), n).SerializeToString())


def strip_stack_traces(g):
    """Drops the dynamo exporter's per-node Python stack traces: they name
    this machine's paths, so regeneration would never be byte-identical
    (the exporter's other node metadata, e.g. "namespace", stays)."""
    for n in g.node:
        keep = [p for p in n.metadata_props if p.key != "pkg.torch.onnx.stack_trace"]
        if len(keep) != len(n.metadata_props):
            del n.metadata_props[:]
            n.metadata_props.extend(keep)
        for a in n.attribute:
            if a.HasField("g"):
                strip_stack_traces(a.g)
            for sg in a.graphs:
                strip_stack_traces(sg)


def finish(folder, data_sets, framework, generator, atol=ATOL, rtol=0, reason=None, note=""):
    """Checks the model with onnx and onnxruntime (within atol + rtol*|want|
    of the framework's outputs), then writes the data sets."""
    path = os.path.join(folder, "model.onnx")
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    strip_stack_traces(model.graph)
    # Keep the fixture self-contained: no external-data files.
    onnx.save_model(model, path, save_as_external_data=False)
    for f in os.listdir(folder):
        if f != "model.onnx":
            p = os.path.join(folder, f)
            shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    in_names = [i.name for i in sess.get_inputs()]
    out_names = [o.name for o in sess.get_outputs()]
    worst = 0.0  # largest |ort - framework| / (atol + rtol*|framework|)
    for idx, (inputs, outputs) in enumerate(data_sets):
        assert len(inputs) == len(in_names) and len(outputs) == len(out_names), (folder, in_names, out_names)
        got = sess.run(None, dict(zip(in_names, inputs)))
        for name, g, w in zip(out_names, got, outputs):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg="%s %s set %d" % (folder, name, idx))
            worst = max(worst, float(np.max(np.abs(g.astype(np.float64) - w) / (atol + rtol * np.abs(w.astype(np.float64))))))
        write_set(folder, idx, in_names, inputs, out_names, outputs)
    with open(os.path.join(folder, "GENERATOR"), "w") as f:
        f.write("tools/python/make_fixtures.py (%s); expected outputs are %s's own.\n" % (generator, framework))
        if note:
            f.write(note + "\n")
    with open(os.path.join(folder, "tolerance.json"), "w") as f:
        json.dump({"atol": atol, "rtol": rtol,
                   "reason": reason or "expected outputs come from %s, not ONNX Runtime; float32 kernels differ in summation order" % framework},
                  f, indent=2)
        f.write("\n")
    ops = sorted({n.op_type for n in model.graph.node})
    print("%s: opset %d, %.0f kB, ORT uses %.2g of the tolerance, ops %s" % (
        os.path.relpath(folder, ROOT) if folder.startswith(ROOT) else folder,
        max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
        os.path.getsize(path) / 1024, worst, " ".join(ops)), flush=True)


# ---------------------------------------------------------------- PyTorch

def torch_models():
    import torch
    from torch import nn

    class DenseAE(nn.Module):
        """A plain MLP autoencoder: 16-8-4-8-16."""

        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())
            self.decoder = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 16), nn.Sigmoid())

        def forward(self, x):
            return self.decoder(self.encoder(x))

    class DeepFlattenAE(nn.Module):
        """Images [N,1,6,6] flattened with view, a deep MLP, viewed back."""

        def __init__(self):
            super().__init__()
            self.enc = nn.Sequential(nn.Linear(36, 16), nn.Tanh(), nn.Linear(16, 8), nn.LeakyReLU(0.1), nn.Linear(8, 4))
            self.dec = nn.Sequential(nn.Linear(4, 8), nn.ELU(), nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 36), nn.Sigmoid())

        def forward(self, x):
            n = x.size(0)
            y = self.dec(self.enc(x.view(n, -1)))
            return y.view(n, 1, 6, 6)

    class ConvAE(nn.Module):
        """Conv2d/BatchNorm2d/MaxPool2d encoder, ConvTranspose2d/Upsample decoder on [N,1,8,8]."""

        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(
                nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2))
            self.decoder = nn.Sequential(
                nn.ConvTranspose2d(8, 4, 2, stride=2), nn.BatchNorm2d(4), nn.ReLU(),
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(4, 1, 3, padding=1), nn.Sigmoid())

        def forward(self, x):
            return self.decoder(self.encoder(x))

    class VAE(nn.Module):
        """Dense VAE returning (reconstruction, mu, logvar); eval uses z = mu."""

        def __init__(self):
            super().__init__()
            self.hidden = nn.Sequential(nn.Linear(16, 12), nn.ReLU())
            self.mu = nn.Linear(12, 4)
            self.logvar = nn.Linear(12, 4)
            self.decoder = nn.Sequential(nn.Linear(4, 12), nn.ReLU(), nn.Linear(12, 16), nn.Sigmoid())

        def forward(self, x):
            h = self.hidden(x)
            mu, logvar = self.mu(h), self.logvar(h)
            if self.training:
                z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            else:
                z = mu
            return self.decoder(z), mu, logvar

    class RecommenderAE(nn.Module):
        """The classic collaborative-filtering autoencoder: SELU layers, dropout on the code, linear output."""

        def __init__(self, items=20):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(items, 10), nn.SELU(), nn.Linear(10, 6), nn.SELU(), nn.Dropout(0.8))
            self.decoder = nn.Sequential(nn.Linear(6, 10), nn.SELU(), nn.Linear(10, items))

        def forward(self, x):
            return self.decoder(self.encoder(x))

    def ratings(rng, n):
        x = rng.integers(1, 6, size=(n, 20)).astype(np.float32)
        x[rng.random((n, 20)) < 0.7] = 0  # unobserved
        return x

    return [
        # name, module, input shape without batch, input sampler, outputs
        ("dense_ae", DenseAE, lambda rng, n: rng.random((n, 16), dtype=np.float32), ["reconstruction"]),
        ("deep_flatten_ae", DeepFlattenAE, lambda rng, n: rng.random((n, 1, 6, 6), dtype=np.float32), ["reconstruction"]),
        ("conv_ae", ConvAE, lambda rng, n: rng.random((n, 1, 8, 8), dtype=np.float32), ["reconstruction"]),
        ("vae", VAE, lambda rng, n: rng.random((n, 16), dtype=np.float32), ["reconstruction", "mu", "logvar"]),
        ("recommender_ae", RecommenderAE, ratings, ["reconstruction"]),
    ]


def make_torch(only):
    import torch

    torch.set_num_threads(1)
    for i, (name, cls, sample, out_names) in enumerate(torch_models()):
        if only and only not in name:
            continue
        torch.manual_seed(SEED + i)
        model = cls()
        # Non-trivial batch-norm statistics, so eval-mode folding is exercised.
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                with torch.no_grad():
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.2, 0.2)
        model.eval()
        rng = np.random.default_rng(SEED + i)
        sets = []
        for n in (3, 1):  # two batch sizes: the batch dimension must stay dynamic
            x = sample(rng, n)
            with torch.no_grad():
                y = model(torch.from_numpy(x))
            ys = y if isinstance(y, tuple) else (y,)
            sets.append(([x], [t.numpy().astype(np.float32) for t in ys]))
        for exporter in EXPORTERS:
            folder = os.path.join(OUT, "pytorch", "%s-%s" % (name, exporter))
            export_torch(model, sets[0][0], folder, exporter, ["input"], out_names)
            finish(folder, sets, "PyTorch %s" % torch.__version__, "%s exporter" % exporter)


# The two exporters and their opsets: torch.onnx.export's default (dynamo)
# and the TorchScript one that older code and most tutorials still use.
EXPORTERS = ("dynamo", "torchscript")
OPSET = {"dynamo": 18, "torchscript": 17}


def export_torch(model, example, folder, exporter, in_names, out_names):
    """Exports model (in eval mode) to folder/model.onnx with the given
    exporter, every input's and output's first dimension dynamic ("batch")."""
    import torch

    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    example = tuple(torch.from_numpy(a) for a in example)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "dynamo":
            batch = torch.export.Dim("batch", min=1, max=4096)
            torch.onnx.export(model, example, path, dynamo=True, opset_version=OPSET[exporter],
                              input_names=in_names, output_names=out_names,
                              dynamic_shapes=tuple({0: batch} for _ in example), external_data=False)
        else:
            axes = {n: {0: "batch"} for n in list(in_names) + list(out_names)}
            torch.onnx.export(model, example, path, dynamo=False, opset_version=OPSET[exporter],
                              input_names=in_names, output_names=out_names, dynamic_axes=axes)


# ------------------------------------------------------------------- zoo

# The zoo's tolerance against PyTorch: relative 1e-4, plus an absolute
# term of 1e-4 times the output's largest magnitude for elements near zero
# (deep random-weight networks have outputs of any scale, and an element
# that cancels to ~0 has no meaningful relative error).
ZOO_RTOL = 1e-4
ZOO_ATOL_SCALE = 1e-4


def zoo_cache():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "latent", "zoo")


def make_zoo(only, size, out):
    """Exports every zoo family of the given size into out/<name>-<exporter>:
    small copies with data sets at batch 3 and 1, full-size ones at batch 2."""
    import torch

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import zoo

    torch.set_num_threads(1)
    for i, fam in enumerate(zoo.families(size)):
        if only and only not in fam.name:
            continue
        seed = SEED + 100 + i
        torch.manual_seed(seed)
        model = zoo.randomise(fam.build(), seed).eval()
        rng = np.random.default_rng(seed)
        sets = []
        for n in ((3, 1) if size == "small" else (2,)):
            xs = fam.sample(rng, n)
            with torch.no_grad():
                y = model(*[torch.from_numpy(x) for x in xs])
            ys = y if isinstance(y, tuple) else (y,)
            sets.append((xs, [t.numpy().astype(np.float32) for t in ys]))
        scale = max(float(np.max(np.abs(o))) for _, outs in sets for o in outs)
        atol = float("%.2g" % (ZOO_ATOL_SCALE * max(scale, 1e-3)))
        reason = ("expected outputs come from PyTorch %s, not ONNX Runtime; float32 kernels differ in summation order "
                  "and elementary functions: rtol %g, and atol %g (1e-4 of the largest output magnitude, %.3g) for "
                  "elements that cancel to near zero" % (torch.__version__, ZOO_RTOL, atol, scale))
        for exporter in EXPORTERS:
            folder = os.path.join(out, "%s-%s" % (fam.name, exporter))
            export_torch(model, sets[0][0], folder, exporter, fam.inputs, fam.outputs)
            finish(folder, sets, "PyTorch %s" % torch.__version__,
                   "zoo, %s size, %s exporter, opset %d" % (size, exporter, OPSET[exporter]),
                   atol=atol, rtol=ZOO_RTOL, reason=reason, note=fam.note)


# ----------------------------------------------------------- scikit-learn

def make_sklearn(only):
    name = "mlp_regressor_ae"
    if only and only not in name:
        return
    import sklearn
    from sklearn.neural_network import MLPRegressor
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    rng = np.random.default_rng(SEED)
    # Data on a 3-dimensional manifold in 12 dimensions, so a bottleneck of 3 can reconstruct it.
    z = rng.random((256, 3))
    x = (1 / (1 + np.exp(-(z @ rng.normal(size=(3, 12)))))).astype(np.float32)
    reg = MLPRegressor(hidden_layer_sizes=(8, 3, 8), activation="tanh", max_iter=300, random_state=0, tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(x, x)
    onx = convert_sklearn(reg, initial_types=[("input", FloatTensorType([None, 12]))], target_opset=17)
    # skl2onnx's MLPRegressor converter ends in Reshape(-1, 1), which is
    # only right for one target; with 12 targets it must keep [N, 12]. Patch
    # the shape and declare the output as latent names it.
    for init in onx.graph.initializer:
        if init.name == "shape_tensor":
            init.CopyFrom(onnx.numpy_helper.from_array(np.array([-1, 12], dtype=np.int64), "shape_tensor"))
    onx.graph.name = name  # skl2onnx draws a random name; keep regeneration byte-identical
    out = onx.graph.output[0]
    out.type.tensor_type.shape.dim[1].dim_value = 12
    out.type.tensor_type.shape.dim[0].dim_param = "batch"
    onx.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    folder = os.path.join(OUT, "sklearn", name)
    os.makedirs(folder, exist_ok=True)
    onnx.save_model(onx, os.path.join(folder, "model.onnx"))
    sets = []
    for n in (4, 1):
        xi = rng.random((n, 12), dtype=np.float32)
        yi = reg.predict(xi).astype(np.float32).reshape(n, 12)
        sets.append(([xi], [yi]))
    finish(folder, sets, "scikit-learn %s" % sklearn.__version__, "skl2onnx")


def sklearn_pipelines(rng):
    """The scikit-learn models of issue 16, each with its training data
    and a feature count: (name, estimator, X_train, note)."""
    from sklearn.cluster import KMeans
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import PCA
    from sklearn.ensemble import IsolationForest
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler
    from sklearn.svm import OneClassSVM

    x = rng.normal(size=(200, 6)).astype(np.float32) * np.array([1, 2, 0.5, 3, 1, 10], dtype=np.float32)
    y = (x[:, 0] - 0.5 * x[:, 1] + np.sin(x[:, 2])).astype(np.float32)
    # Three numeric columns and two small-integer categorical ones.
    cat = rng.integers(0, 4, size=(200, 2)).astype(np.float32)
    mixed = np.concatenate([x[:, :3], cat], axis=1)
    out = [
        ("standard_scaler_pca", make_pipeline(StandardScaler(), PCA(n_components=3, random_state=0)), x, None),
        ("minmax_mlp_regressor", make_pipeline(MinMaxScaler(), MLPRegressor(hidden_layer_sizes=(16,), max_iter=500, random_state=0)), x, y),
        ("isolation_forest", IsolationForest(n_estimators=20, max_samples=64, random_state=0), x, None),
        ("one_class_svm", make_pipeline(StandardScaler(), OneClassSVM(nu=0.1, gamma=0.2)), x, None),
        ("kmeans", KMeans(n_clusters=4, n_init=3, random_state=0), x, None),
        ("column_transformer_onehot", make_pipeline(
            ColumnTransformer([("num", StandardScaler(), [0, 1, 2]),
                               ("cat", OneHotEncoder(handle_unknown="ignore"), [3, 4])]),
            PCA(n_components=4, random_state=0)), mixed, None),
    ]
    return out


def sklearn_outputs(name, est, xi):
    """scikit-learn's own outputs in the order skl2onnx declares them."""
    if name == "isolation_forest" or name == "one_class_svm":
        # skl2onnx: label (int64 [N, 1]: 1 inlier, -1 outlier) and scores
        # (decision_function, [N, 1]).
        return [est.predict(xi).astype(np.int64).reshape(-1, 1), est.decision_function(xi).astype(np.float32).reshape(-1, 1)]
    if name == "kmeans":
        # skl2onnx: label (int64 [N]) and scores (distances to the centres, [N, k]).
        return [est.predict(xi).astype(np.int64), est.transform(xi).astype(np.float32)]
    if hasattr(est, "predict") and not hasattr(est, "transform"):
        return [est.predict(xi).astype(np.float32).reshape(len(xi), -1)]
    return [est.transform(xi).astype(np.float32)]


def make_sklearn_pipelines(only):
    import sklearn
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    rng = np.random.default_rng(SEED + 1)
    for name, est, x, y in sklearn_pipelines(rng):
        if only and only not in name:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(x, y) if y is not None else est.fit(x)
        onx = convert_sklearn(est, initial_types=[("input", FloatTensorType([None, x.shape[1]]))],
                              target_opset={"": 17, "ai.onnx.ml": 3})
        onx.graph.name = name  # skl2onnx draws a random name; keep regeneration byte-identical
        onx.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
        folder = os.path.join(OUT, "sklearn", name)
        os.makedirs(folder, exist_ok=True)
        onnx.save_model(onx, os.path.join(folder, "model.onnx"))
        sets = []
        for n in (8, 1):
            # Samples like the training data, with a few far outliers.
            xi = x[rng.integers(0, len(x), size=n)] + rng.normal(scale=0.1, size=(n, x.shape[1])).astype(np.float32)
            if name == "column_transformer_onehot":
                xi[:, 3:] = x[rng.integers(0, len(x), size=n)][:, 3:]
            elif n > 1:
                xi[-1] *= 8
            xi = xi.astype(np.float32)
            sets.append(([xi], sklearn_outputs(name, est, xi)))
        finish(folder, sets, "scikit-learn %s" % sklearn.__version__, "skl2onnx")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("only", nargs="?", default="", help="only fixtures whose name contains this")
    ap.add_argument("--full-zoo", action="store_true",
                    help="write the full-size benchmark zoo (into --out) instead of the committed fixtures")
    ap.add_argument("--out", default=zoo_cache(), help="folder of the full-size zoo (default %(default)s)")
    args = ap.parse_args()
    if args.full_zoo:
        make_zoo(args.only, "full", args.out)
        print(args.out)
        return
    make_torch(args.only)
    make_sklearn(args.only)
    make_sklearn_pipelines(args.only)
    make_zoo(args.only, "small", os.path.join(OUT, "zoo"))


if __name__ == "__main__":
    sys.exit(main())
