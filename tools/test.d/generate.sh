#!/usr/bin/env bash
# generate.sh checks that every generated file in git is what its generator
# writes today, so an edit to either side cannot drift:
#   - go generate ./ops: the Gemm assembly (ops/internal/gemmgen);
#   - python3 tools/mkgolden/models.py then go run ./tools/mkgolden: the
#     independent golden models and ONNX Runtime's outputs for them;
#   - go run ./tools/mkexports: latent's own exports of every trainer kind
#     with the trainer's outputs (recorded with the portable kernels, so
#     every amd64 machine writes the same bytes).
# Each must leave the tree unchanged: a change to the trainer, the
# exporter or a generator comes with its regenerated files.
set -euo pipefail
cd "$(dirname "$0")/../.."

go generate ./ops
py=$(bash tools/python/venv.sh)
"$py" tools/mkgolden/models.py >/dev/null
go run ./tools/mkgolden >/dev/null
go run ./tools/mkexports >/dev/null

changed=$(git status --porcelain -- ops testdata/golden)
if [ -n "$changed" ]; then
	echo "generate.sh: regenerating changed committed files (commit the regenerated files with the change that caused them):" >&2
	echo "$changed" >&2
	git diff --stat -- ops testdata/golden >&2
	exit 1
fi
echo "go generate ./ops, mkgolden, mkexports: no changes"
