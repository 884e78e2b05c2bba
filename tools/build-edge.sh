#!/usr/bin/env bash
# build-edge.sh OUT [GOARCH] builds latent's static edge binary for linux
# (GOARCH defaults to this machine's): no cgo, so the native backend only,
# and the two build tags that keep it small (grpcnotrace: gRPC without
# golang.org/x/net/trace; nethttpomithttp2: net/http without its bundled
# HTTP/2, which only TLS negotiates). The one definition of those flags for
# tools/test.d/edge.sh, deploy/build-image.sh and tools/servebench.sh; the
# README shows the same command. Why each matters: docs/design.md, "Size
# and dependencies".
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: build-edge.sh OUT [GOARCH]" >&2
	exit 2
fi
out=$(realpath -m "$1")
arch=${2:-$(go env GOARCH)}
cd "$(dirname "$0")/.."
CGO_ENABLED=0 GOOS=linux GOARCH="$arch" go build -tags grpcnotrace,nethttpomithttp2 -trimpath -ldflags "-s -w" -o "$out" ./tools/latent
