#!/usr/bin/env bash
# setup.sh installs what latent's examples and tests need. It is idempotent:
# a second run installs nothing and downloads nothing new.
#
#   - Debian packages: libonnx-testdata (ONNX backend-test models for the
#     conformance suite), protobuf-compiler, python3-onnx (cross-checks),
#     python3-venv (tools/python/venv.sh, when python3 is Debian's),
#     dataset-fashion-mnist (training examples), python3-sklearn (for the
#     tables it ships: the breast-cancer CSV of the tabular anomaly
#     example in docs/applications.md), curl (the README's requests to
#     latent serve, run by TestDocs), and buildah, podman and
#     runc (tools/test.d/deploy.sh builds and runs the container image);
#     apt-get runs only when one of them is missing.
#   - Go modules pinned in go.mod (go mod download).
#   - The ONNX Runtime shared library for the runtime/ort backend, through
#     tools/install-ort.sh when that script exists.
#   - The current ONNX backend-test cases, generated once per onnx version
#     from the pinned onnx package (tools/onnx-testdata.sh, which makes the
#     CI Python venv of tools/python/venv.sh when it is missing).
#   - MovieLens-100k and its five official folds u1..u5 (latent recommend),
#     through tools/fetch-movielens.sh, into ~/.cache/latent/data/ml-100k.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libonnx-testdata protobuf-compiler python3-onnx python3-venv dataset-fashion-mnist python3-sklearn curl buildah podman runc)
missing=()
for p in "${packages[@]}"; do
	if ! dpkg -s "$p" >/dev/null 2>&1; then
		missing+=("$p")
	fi
done
if ((${#missing[@]} > 0)); then
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		sudo=(sudo)
	fi
	echo "setup: installing ${missing[*]}" >&2
	"${sudo[@]}" apt-get update
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

go mod download

if [ -f tools/install-ort.sh ]; then
	bash tools/install-ort.sh >/dev/null
fi

bash tools/onnx-testdata.sh >/dev/null
bash tools/fetch-movielens.sh >/dev/null
