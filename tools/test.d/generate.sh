#!/usr/bin/env bash
# generate.sh checks that the generated Gemm assembly is what its generator
# writes: `go generate ./ops` (ops/internal/gemmgen) must leave the
# committed files unchanged, so an edit to either side cannot drift.
set -euo pipefail
cd "$(dirname "$0")/../.."
go generate ./ops
if ! git diff --quiet -- ops; then
	echo "generate.sh: go generate ./ops changed committed files:" >&2
	git diff --stat -- ops >&2
	exit 1
fi
echo "go generate ./ops: no changes"
