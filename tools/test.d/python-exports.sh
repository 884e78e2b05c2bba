#!/usr/bin/env bash
# python-exports.sh checks latent's ONNX exports with the onnx Python
# package (tools/python/tests/test_exports.py): onnx.checker with
# full_check, latent.* metadata, naming, and onnx's reference evaluator
# against the trainer outputs recorded in testdata/golden/ae-*. Besides the
# committed opset-17 goldens it checks fresh exports at opsets 13 and 21.
#
# The pinned packages of tools/python/requirements.txt are installed with
# pip only when missing or at another version ($LATENT_PYTHON picks the
# interpreter, default python3). pytest collecting no tests (exit 5) fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
py="${LATENT_PYTHON:-python3}"
req=tools/python/requirements.txt

if ! "$py" - "$req" <<'PYEOF'; then
import sys
from importlib import metadata
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, want = line.split("==")
    try:
        have = metadata.version(name)
    except metadata.PackageNotFoundError:
        sys.exit(1)
    if have != want:
        sys.exit(1)
PYEOF
	echo "python-exports: installing $req for $("$py" --version 2>&1)" >&2
	"$py" -m pip install --quiet --disable-pip-version-check -r "$req"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for opset in 13 21; do
	go run ./tools/mkexports -golden "$tmp/opset$opset" -opset "$opset" >/dev/null
done

rc=0
LATENT_EXPORTS="$tmp/opset13:$tmp/opset21" "$py" -m pytest -q -rs -p no:cacheprovider tools/python/tests || rc=$?
if [ "$rc" -eq 5 ]; then
	echo "python-exports: pytest collected no tests" >&2
	exit 1
fi
exit "$rc"
