#!/bin/sh
# Regenerates serve/inferencepb/grpc_predict_v2.pb.go (messages) and
# grpc_predict_v2_grpc.pb.go (the gRPC service) from
# serve/inferencepb/grpc_predict_v2.proto, into the package folder or the
# folder given as $1 (the test that checks the committed code is current
# generates into a temporary folder and compares).
#
# protoc comes from the system (Debian protobuf-compiler); protoc-gen-go and
# protoc-gen-go-grpc are built from the module cache at the versions pinned
# in go.mod (its `tool` directives), so the generated code matches the
# libraries the module builds against and regenerating is reproducible.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/serve/inferencepb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go &&
	go build -o "$tmp/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc)
cd "$root/serve/inferencepb"
protoc --plugin=protoc-gen-go="$tmp/protoc-gen-go" --plugin=protoc-gen-go-grpc="$tmp/protoc-gen-go-grpc" \
	--go_out="$out" --go_opt=paths=source_relative \
	--go-grpc_out="$out" --go-grpc_opt=paths=source_relative \
	grpc_predict_v2.proto
