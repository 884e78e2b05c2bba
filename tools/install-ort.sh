#!/usr/bin/env bash
# install-ort.sh fetches the ONNX Runtime shared library (linux-x64) that the
# runtime/ort backend loads, and prints its path.
#
# The library comes from the npm registry's onnxruntime-node package, fetched
# with `npm pack` (a plain download: no install scripts run), checked against
# pinned checksums, and unpacked into a cache outside the repository:
#
#   ${XDG_CACHE_HOME:-$HOME/.cache}/latent/ort/<version>/libonnxruntime.so.1
#
# Running it again is cheap: when the library is present and its checksum
# matches, nothing is downloaded.
#
# The pinned version must provide the ORT C API version requested by the
# pinned github.com/yalue/onnxruntime_go (v1.27.0 requests ORT_API_VERSION 24,
# i.e. ONNX Runtime >= 1.24). Keep ORT_VERSION in runtime/ort/lib.go in step.
set -euo pipefail

ORT_VERSION=1.24.1
# npm's dist.integrity for onnxruntime-node@1.24.1 (sha512 of the tarball).
TARBALL_SHA512='Ex/oUXKdhDoxvlNxBT3oYtW0MH88yYpPlXQeVQUXpcJQmN24usd/8RCoPLN5kCHwDsiZ+nqsnjciyFRl423dQw=='
# sha256 of package/bin/napi-v6/linux/x64/libonnxruntime.so.1 in that tarball.
LIB_SHA256='53ef1ac028dd1b05554b8da28d9159eb3876f99868193d2aaa6e67f0243c23d4'
LIB_NAME=libonnxruntime.so.1

die() {
	echo "install-ort: $*" >&2
	exit 1
}

case "$(uname -s)/$(uname -m)" in
Linux/x86_64) ;;
*) die "only linux-x64 is supported (this is $(uname -s)/$(uname -m)); set LATENT_ORT_LIB to an ONNX Runtime ${ORT_VERSION} library instead" ;;
esac

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}"
dest="${cache_root}/latent/ort/${ORT_VERSION}"
lib="${dest}/${LIB_NAME}"

lib_ok() {
	[ -f "$lib" ] && [ "$(sha256sum "$lib" | cut -d' ' -f1)" = "$LIB_SHA256" ]
}

if lib_ok; then
	echo "$lib"
	exit 0
fi

command -v npm >/dev/null || die "npm is needed to fetch onnxruntime-node@${ORT_VERSION} (apt-get install npm)"
command -v openssl >/dev/null || die "openssl is needed to check the tarball's sha512"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "install-ort: fetching onnxruntime-node@${ORT_VERSION} from the npm registry" >&2
(cd "$tmp" && npm pack --silent "onnxruntime-node@${ORT_VERSION}" >/dev/null) ||
	die "npm pack onnxruntime-node@${ORT_VERSION} failed"
tarball="$tmp/onnxruntime-node-${ORT_VERSION}.tgz"
[ -f "$tarball" ] || die "npm pack did not produce $tarball"

got="$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
[ "$got" = "$TARBALL_SHA512" ] ||
	die "checksum mismatch for onnxruntime-node-${ORT_VERSION}.tgz: want sha512-${TARBALL_SHA512}, got sha512-${got}"

tar -xzf "$tarball" -C "$tmp" package/bin/napi-v6/linux/x64 ||
	die "extracting package/bin/napi-v6/linux/x64 from the tarball failed"

mkdir -p "$dest"
# Copy the runtime library and any sibling shared objects it may need
# (provider libraries), but not the Node.js binding.
for f in "$tmp"/package/bin/napi-v6/linux/x64/*.so*; do
	[ -e "$f" ] || continue
	cp -f "$f" "$dest/.$(basename "$f").tmp"
	mv -f "$dest/.$(basename "$f").tmp" "$dest/$(basename "$f")"
done

lib_ok || die "installed $lib but its sha256 does not match $LIB_SHA256"
echo "$lib"
