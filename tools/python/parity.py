"""Parity report: the same autoencoder, data and initial weights trained in
latent (Go) and in PyTorch (CPU), compared on final reconstruction loss and
training throughput. Writes the Markdown table of docs/parity.md.

    py=$(bash tools/python/venv.sh fixtures)
    go build -o /tmp/latent ./tools/latent
    "$py" tools/python/parity.py --latent /tmp/latent            # prints the table
    "$py" tools/python/parity.py --latent /tmp/latent --write docs/parity.md
    "$py" tools/python/parity.py --latent /tmp/latent --features 784 --hidden 256 --code 32 \
        --epochs 15 --write docs/parity.md --section wide

Procedure (all seeded): synthetic rows in [0,1] lying near a low-dimensional
manifold are written as CSV. A PyTorch MLP autoencoder is initialised with
torch.manual_seed(seed) and exported with the TorchScript exporter; latent
trains that very file with `latent train --from`, so both frameworks start
from identical weights. Both then run Adam (lr, betas 0.9/0.999, eps 1e-8)
on mean-squared error with shuffled mini-batches for the same number of
epochs. latent is also run from its own initialisation (`--model deep
--seed`). Final loss is the MSE of each trained model over the whole
training set, computed here in numpy: latent's through its exported
model.onnx in onnxruntime, PyTorch's from the module. Samples/s is training
rows per second of wall time in the training loop (latent: its
metrics.jsonl; PyTorch: timed around the epoch loop), with the same number
of threads for both.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np


def make_data(n, d, latent_dims, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, latent_dims))
    mix = rng.normal(size=(latent_dims, d)) / np.sqrt(latent_dims)
    x = 1 / (1 + np.exp(-(z @ mix) * 2))
    x += rng.normal(scale=0.01, size=x.shape)
    return np.clip(x, 0, 1).astype(np.float32)


def torch_model(d, hidden, code):
    from torch import nn

    return nn.Sequential(
        nn.Linear(d, hidden), nn.ReLU(),
        nn.Linear(hidden, code), nn.ReLU(),
        nn.Linear(code, hidden), nn.ReLU(),
        nn.Linear(hidden, d), nn.Sigmoid())


def train_torch(model, x, args):
    import torch

    torch.manual_seed(args.seed)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = torch.nn.MSELoss()
    xt = torch.from_numpy(x)
    n = len(x)
    start = time.perf_counter()
    for _ in range(args.epochs):
        perm = torch.randperm(n)
        for i in range(0, n, args.batch):
            b = xt[perm[i:i + args.batch]]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(b), b)
            loss.backward()
            opt.step()
    secs = time.perf_counter() - start
    with torch.no_grad():
        y = model(xt).numpy()
    return float(np.mean((y - x) ** 2)), n * args.epochs / secs


def train_latent(args, csv, out, extra):
    cmd = [args.latent, "train", "--data", csv, "--out", out, "--epochs", str(args.epochs),
           "--batch", str(args.batch), "--lr", str(args.lr), "--optimizer", "adam", "--scaling", "none",
           "--workers", str(args.threads), "--quiet"] + extra
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "metrics.jsonl")) as f:
        epochs = [json.loads(line) for line in f if line.strip()]
    rows = sum(e["samples_per_s"] * e["seconds"] for e in epochs)
    secs = sum(e["seconds"] for e in epochs)
    return rows / secs


def onnx_mse(path, x):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    (y,) = sess.run(None, {sess.get_inputs()[0].name: x})
    return float(np.mean((y - x) ** 2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--latent", required=True, help="path of a built latent binary")
    ap.add_argument("--rows", type=int, default=4096)
    ap.add_argument("--features", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--code", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--write", help="write the Markdown report into this file, between <!-- SECTION:begin/end --> markers")
    ap.add_argument("--section", default="small", help="marker name used by --write")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    x = make_data(args.rows, args.features, 4, args.seed)
    tmp = tempfile.mkdtemp(prefix="latent-parity-")
    csv = os.path.join(tmp, "x.csv")
    np.savetxt(csv, x, delimiter=",", fmt="%.7g")

    torch.manual_seed(args.seed)
    model = torch_model(args.features, args.hidden, args.code)
    init = os.path.join(tmp, "init.onnx")
    warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
    torch.onnx.export(model, (torch.from_numpy(x[:2]),), init, dynamo=False, opset_version=17,
                      input_names=["input"], output_names=["reconstruction"],
                      dynamic_axes={"input": {0: "batch"}, "reconstruction": {0: "batch"}})
    init_loss = onnx_mse(init, x)

    rows = []
    sps = train_latent(args, csv, os.path.join(tmp, "latent-from"), ["--from", init])
    rows.append(("latent, from PyTorch's initial weights", onnx_mse(os.path.join(tmp, "latent-from", "model.onnx"), x), sps))
    sps = train_latent(args, csv, os.path.join(tmp, "latent-own"), [
        "--model", "deep", "--hidden", str(args.hidden), "--code", str(args.code), "--activation", "relu",
        "--code-activation", "relu", "--output-activation", "sigmoid", "--loss", "mse", "--init", "he",
        "--seed", str(args.seed)])
    rows.append(("latent, own He initialisation (seed %d)" % args.seed, onnx_mse(os.path.join(tmp, "latent-own", "model.onnx"), x), sps))
    loss, sps = train_torch(model, x, args)
    rows.append(("PyTorch %s (CPU)" % torch.__version__, loss, sps))

    ref = rows[-1][1]
    arch = "%d-%d-%d-%d-%d" % (args.features, args.hidden, args.code, args.hidden, args.features)
    lines = [
        "| run | final MSE (whole training set) | vs PyTorch | samples/s |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, loss, sps in rows:
        lines.append("| %s | %.6f | %+.1f%% | %.0f |" % (name, loss, 100 * (loss - ref) / ref, sps))
    setup = ("%s dense autoencoder (ReLU hidden and code, sigmoid output), %d rows × %d features, "
             "Adam lr %g, batch %d, %d epochs, MSE, %d thread(s); MSE of the shared initial weights %.6f. "
             "Machine: %s, Python %s." % (arch, args.rows, args.features, args.lr, args.batch, args.epochs,
                                          args.threads, init_loss, platform.machine(), platform.python_version()))
    table = "\n".join(lines)
    print(setup)
    print(table)
    worst = max(abs(loss - ref) / ref for _, loss, _ in rows[:1])
    ok = worst <= 0.10
    print("latent from the same initial weights is within %.1f%% of PyTorch's final loss (%s the 10%% bound)"
          % (100 * worst, "within" if ok else "OUTSIDE"))
    if args.write:
        write_doc(args.write, args.section, setup, table)
    return 0 if ok else 1


def write_doc(path, section, setup, table):
    with open(path) as f:
        doc = f.read()
    begin, end = "<!-- %s:begin -->" % section, "<!-- %s:end -->" % section
    i, j = doc.index(begin) + len(begin), doc.index(end)
    doc = doc[:i] + "\n" + setup + "\n\n" + table + "\n" + doc[j:]
    with open(path, "w") as f:
        f.write(doc)


if __name__ == "__main__":
    sys.exit(main())
