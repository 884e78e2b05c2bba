#!/usr/bin/env bash
# isa.sh runs the kernel tests, the golden vectors and the ONNX
# conformance suite again with the native kernels capped at AVX2
# (LATENT_ISA=avx2): on an AVX-512 machine the default run only exercises
# the AVX-512 assembly, and noasm.sh the pure-Go twins, so this is the run
# that keeps the AVX2 paths (Gemm, row movers, pooling, Resize and
# activations in ops; the activation backward passes and Adam in
# ops/train, and the trainer on them) green end to end, against ORT's and
# PyTorch's outputs (the interop fixtures include the benchmark zoo's small
# copies). On a CPU without AVX2 it repeats the Go paths.
set -euo pipefail
cd "$(dirname "$0")/../.."
export LATENT_ISA=avx2
go test -count=1 ./ops/... ./trainer/nn/ ./trainer/
go test -count=1 -run 'Golden|Conformance|Interop' ./runtime/native/...
go test -count=1 -run 'Golden|Interop' ./runtime/
# The conformance run's native halves (optimised and not); ORT does not
# depend on LATENT_ISA.
go test -count=1 -run 'TestConformance/native' ./runtime/
