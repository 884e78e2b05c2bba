#!/usr/bin/env bash
# servebench.sh runs the server load figures of BENCHMARKS.md "Server":
# latent serve beside KServe's Python ModelServer on onnxruntime, same
# model, same run (tools/servebench). Not part of CI: it takes about ten
# minutes and needs the kserve venv.
#
#   bash tools/servebench.sh                 # full run, results in runs/servebench/
#   bash tools/servebench.sh --duration 2s   # extra flags go to tools/servebench
#
# Made once and cached in ~/.cache/latent/: the benchmark model (a deep
# dense autoencoder, 784-256-64-32-64-256-784, trained for one epoch on the
# Fashion-MNIST test images, which tools/setup.sh installs) and the kserve
# venv (tools/python/venv.sh kserve: kserve 0.21.0, onnxruntime 1.31.1).
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${XDG_CACHE_HOME:-$HOME/.cache}/latent/servebench"
mkdir -p "$cache" runs/servebench
model="$cache/fashion-ae/model.onnx"
bin="$cache/latent"
bash tools/build-edge.sh "$bin"
if [ ! -f "$model" ]; then
	echo "servebench: training the benchmark model into $(dirname "$model")" >&2
	"$bin" train --model deep --data /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz \
		--hidden 256,64 --code 32 --epochs 1 --seed 1 --out "$(dirname "$model")" >&2
fi
py=$(bash tools/python/venv.sh kserve)
go run ./tools/servebench --latent "$bin" --model "$model" --kserve-python "$py" \
	--json runs/servebench/result.json "$@" | tee runs/servebench/result.md
