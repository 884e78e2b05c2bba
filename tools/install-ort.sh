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
# pinned github.com/yalue/onnxruntime_go (v1.38.0 requests ORT_API_VERSION 31,
# i.e. ONNX Runtime >= 1.31). Keep ORT_VERSION in runtime/ort/lib.go in step.
set -euo pipefail

ORT_VERSION=1.31.1
# npm's dist.integrity for onnxruntime-node@1.31.1 (sha512 of the tarball).
TARBALL_SHA512='ijnSghbDHVWaQ2nDPmVccPlCHI8kH1Mx1aJ4a/qzRP16bBcVs4E3EqZQKZCkhWnbqN1tuQWxagimFtDpbPYYQw=='
# sha256 of package/bin/napi-v6/linux/x64/libonnxruntime.so.1 in that tarball.
LIB_SHA256='f19a4da48c4c65e0cdccff82354482f657fa91a3455b66174195b94ca55b0e6f'
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
