#!/usr/bin/env bash
# onnx-testdata.sh generates (once per onnx version) the ONNX backend-test
# cases of the onnx package pinned in tools/python/requirements.txt, and
# prints the folder holding them:
#
#   ${XDG_CACHE_HOME:-$HOME/.cache}/latent/onnx-testdata/onnx-<version>/{node,simple}
#
# These are the conformance suite's current cases (onnx 1.23.2: 1,884 node
# cases, opsets up to 24), run by runtime/conformance_test.go beside the
# older Debian libonnx-testdata suites. The cases come from onnx's own test
# definitions (onnx.backend.test.case) through tools/python/gen_conformance.py,
# run in the pinned CI venv (tools/python/venv.sh).
#
# Idempotent: a folder whose stamp names the same onnx version and generator
# is reused without running Python. tools/setup.sh runs this.
set -euo pipefail
cd "$(dirname "$0")/.."

gen=tools/python/gen_conformance.py
version=$(sed -n 's/^onnx==\([^ ;#]*\).*/\1/p' tools/python/requirements.txt)
[ -n "$version" ] || {
	echo "onnx-testdata: no onnx==VERSION pin in tools/python/requirements.txt" >&2
	exit 1
}
dir="${XDG_CACHE_HOME:-$HOME/.cache}/latent/onnx-testdata/onnx-$version"
# The stamp the Go harness checks too: onnx version and generator hash.
want="onnx $version generator $(sha256sum "$gen" | cut -d' ' -f1)"
stamp="$dir/.latent-stamp"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	echo "$dir"
	exit 0
fi

py=$(bash tools/python/venv.sh ci)
got=$("$py" -c 'import onnx; print(onnx.__version__)')
[ "$got" = "$version" ] || {
	echo "onnx-testdata: the venv has onnx $got, requirements.txt pins $version" >&2
	exit 1
}
echo "onnx-testdata: generating the onnx $version backend-test cases into $dir" >&2
"$py" "$gen" "$dir"
echo "$want" >"$stamp"
echo "$dir"
