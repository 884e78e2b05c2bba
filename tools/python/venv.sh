#!/usr/bin/env bash
# venv.sh makes (once) and prints the path of the Python interpreter of a
# virtual environment holding latent's pinned Python packages:
#
#   py=$(bash tools/python/venv.sh)            # CI venv: onnx, onnxruntime, numpy, pytest
#   py=$(bash tools/python/venv.sh fixtures)   # + torch, onnxscript, scikit-learn, skl2onnx
#   py=$(bash tools/python/venv.sh kserve)     # kserve 0.21 + onnxruntime (tools/servebench's baseline)
#
# The CI venv lives in ${LATENT_VENV:-~/.cache/latent/venv} and installs
# tools/python/requirements.txt; the fixture venv lives in
# ${LATENT_FIXTURE_VENV:-~/.cache/latent/venv-fixtures} and installs
# tools/python/requirements-fixtures.txt (torch from PyPI is large: it is
# only needed to regenerate testdata/interop, never in CI); the kserve venv
# lives in ${LATENT_KSERVE_VENV:-~/.cache/latent/venv-kserve} and installs
# tools/python/requirements-kserve.txt alone (never in CI).
#
# Idempotent: a venv whose recorded requirements hash matches the file is
# reused without touching the network. Set LATENT_PYTHON to bypass the venv
# entirely (that interpreter is printed as is). Progress goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -n "${LATENT_PYTHON:-}" ]; then
	echo "$LATENT_PYTHON"
	exit 0
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/latent"
case "${1:-ci}" in
ci)
	dir="${LATENT_VENV:-$cache/venv}"
	req=tools/python/requirements.txt
	;;
fixtures)
	dir="${LATENT_FIXTURE_VENV:-$cache/venv-fixtures}"
	req=tools/python/requirements-fixtures.txt
	;;
kserve)
	dir="${LATENT_KSERVE_VENV:-$cache/venv-kserve}"
	req=tools/python/requirements-kserve.txt
	;;
*)
	echo "venv.sh: unknown venv ${1} (want ci, fixtures or kserve)" >&2
	exit 2
	;;
esac

base="${LATENT_BASE_PYTHON:-python3}"
# The hash covers the chosen file and requirements.txt, which the fixture
# file includes (-r); the kserve file stands alone.
hashed=(tools/python/requirements.txt "$req")
if [ "${1:-ci}" = kserve ]; then
	hashed=("$req")
fi
want=$(cat "${hashed[@]}" | sha256sum | cut -d' ' -f1)-$("$base" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
stamp="$dir/.latent-requirements"
if [ -x "$dir/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	echo "$dir/bin/python"
	exit 0
fi

echo "venv.sh: installing $req into $dir" >&2
if [ ! -x "$dir/bin/python" ]; then
	mkdir -p "$(dirname "$dir")"
	if ! "$base" -m venv "$dir" >&2; then
		rm -rf "$dir"
		echo "venv.sh: $base -m venv failed; on Debian install python3-venv (apt-get install python3-venv) or set LATENT_BASE_PYTHON" >&2
		exit 1
	fi
fi
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
echo "$want" >"$stamp"
echo "$dir/bin/python"
