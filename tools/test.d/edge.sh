#!/usr/bin/env bash
# edge.sh builds the static edge binary exactly as the README documents
# (CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" ./tools/latent),
# checks that it is statically linked and within the 15 MB budget, runs it
# on the golden models (tools/latent TestEdgeBinary compares its outputs
# with the recorded ones) and cross-builds linux/arm64 the same way.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
limit=$((15 * 1024 * 1024))

CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/latent" ./tools/latent
size=$(stat -c %s "$tmp/latent")
echo "edge: linux/$(go env GOARCH) static binary $size bytes ($((size / 1024 / 1024)) MiB)"
if [ "$size" -gt "$limit" ]; then
	echo "edge: binary is $size bytes, over the $limit-byte budget; the modules linked in:" >&2
	go version -m "$tmp/latent" | awk '$1 == "dep" {print "  " $2 " " $3}' >&2
	exit 1
fi
if readelf -l "$tmp/latent" | grep -q "Requesting program interpreter"; then
	echo "edge: binary is dynamically linked" >&2
	exit 1
fi
"$tmp/latent" version
LATENT_EDGE_BIN="$tmp/latent" go test -count=1 -run '^TestEdgeBinary$' ./tools/latent

CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -trimpath -ldflags "-s -w" -o "$tmp/latent-arm64" ./tools/latent
asize=$(stat -c %s "$tmp/latent-arm64")
echo "edge: linux/arm64 static binary $asize bytes"
if ! readelf -h "$tmp/latent-arm64" | grep -q "AArch64"; then
	echo "edge: the arm64 build is not an AArch64 ELF" >&2
	exit 1
fi
if [ "$asize" -gt "$limit" ]; then
	echo "edge: arm64 binary is $asize bytes, over the $limit-byte budget" >&2
	exit 1
fi
