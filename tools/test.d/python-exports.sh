#!/usr/bin/env bash
# python-exports.sh checks latent's ONNX exports with the onnx Python
# package (tools/python/tests/test_exports.py): onnx.checker with
# full_check, latent.* metadata, naming, and onnx's reference evaluator
# against the trainer outputs recorded in testdata/golden/ae-*. Besides the
# committed opset-17 goldens it checks fresh exports at opsets 13 and 21.
#
# The pinned packages of tools/python/requirements.txt live in a cached
# virtual environment made by tools/python/venv.sh ($LATENT_PYTHON picks
# another interpreter instead). pytest collecting no tests (exit 5) fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The pinned venv (~/.cache/latent/venv, made once by tools/python/venv.sh;
# LATENT_PYTHON bypasses it).
py=$(bash tools/python/venv.sh ci)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Build mkexports once rather than go run (a build and link) per opset.
go build -o "$tmp/mkexports" ./tools/mkexports
for opset in 13 21; do
	"$tmp/mkexports" -golden "$tmp/opset$opset" -opset "$opset" >/dev/null
done

rc=0
LATENT_EXPORTS="$tmp/opset13:$tmp/opset21" "$py" -m pytest -q -rs -p no:cacheprovider tools/python/tests || rc=$?
if [ "$rc" -eq 5 ]; then
	echo "python-exports: pytest collected no tests" >&2
	exit 1
fi
exit "$rc"
