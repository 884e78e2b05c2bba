#!/usr/bin/env bash
# race.sh runs the concurrency tests under the race detector: Session.Run
# from 64 goroutines on every available backend, concurrent runs with
# buffer recycling, Close racing Run, and the whole server package
# (concurrent load over REST and gRPC, dynamic batching, hot reloads under
# load, cancellation, graceful shutdown; ~15 s); and the whole of ops (with
# ops/train, whose conv backward passes run the parallel forward paths) and
# runtime/native, whose kernels split work across goroutines (conv chunks,
# parallel Gemm bands, the batch-1 Gemm workers); and the trainer's engine
# (chunks of a batch on layer replicas sharing the weights, batch norm
# coupled across chunks, concurrent inference) — about a minute. The rest
# of the suite under -race is too slow. See RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
go test -race -count=1 ./runtime -run 'TestRun64Goroutines|TestConcurrentRunsMatchSequential|TestSessionConcurrentRuns|TestCloseWaitsForRuns'
go test -race -count=1 ./serve
go test -race -count=1 ./ops/... ./runtime/native/... ./runtime/internal/...
go test -race -count=1 ./trainer -run 'TestConcurrentInference|TestSeedDeterminismAndWorkers|TestGradImageKinds/conv-bn|TestImageCheckpointRoundTrip/conv-bn'
go test -race -count=1 ./trainer/nn
