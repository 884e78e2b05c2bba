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
# Tracked files only (a clean checkout in CI has no others); fall back to
# every .go file outside git.
if files=$(git ls-files '*.go' 2>/dev/null) && [ -n "$files" ]; then
	unformatted=$(for f in $files; do [ -f "$f" ] && echo "$f"; done | xargs -r gofmt -l)
else
	unformatted=$(find . -name '*.go' -not -path './.git/*' -print0 | xargs -0 -r gofmt -l)
fi
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
