#!/usr/bin/env bash
# noasm.sh runs the ops tests on the portable pure-Go kernels: the `noasm`
# build tag drops the amd64 assembly (AVX-512/AVX2 Gemm and vector
# kernels in ops, the backward and Adam kernels in ops/train), so the Go
# twins are checked against the same independent expectations as the
# assembly paths that the plain `go test ./...` runs; trainer/nn's layer
# tests run the trainer's backward passes on them end to end.
# The runtime golden vectors (every shipped model) and the interop fixtures
# (PyTorch's outputs, the benchmark zoo's small copies) run this way too.
set -euo pipefail
cd "$(dirname "$0")/../.."
go test -tags noasm -timeout "${LATENT_TEST_TIMEOUT:-30m}" ./ops/... ./trainer/nn/
go test -tags noasm -run 'Golden|Interop' ./runtime/
