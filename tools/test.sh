#!/usr/bin/env bash
# test.sh is latent's whole test run (CI runs exactly this, via .ci/run):
# setup (idempotent), formatting and vet checks, then every Go test,
# including the ONNX conformance suite, then any extra suites dropped into
# tools/test.d/*.sh (ONNX Runtime cross-checks, Python exporters …).
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}"

bash tools/setup.sh

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt needed on:" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "== go vet"
go vet ./...

echo "== go test"
go test -timeout "${LATENT_TEST_TIMEOUT:-30m}" ./...

shopt -s nullglob
for extra in tools/test.d/*.sh; do
	echo "== $extra"
	bash "$extra"
done
echo "== all tests passed"
