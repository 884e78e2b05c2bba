#!/bin/sh
# Regenerates runtime/onnxpb/onnx.pb.go from runtime/onnxpb/onnx.proto.
#
# protoc comes from the system (Debian protobuf-compiler); protoc-gen-go is
# built from the module cache at the google.golang.org/protobuf version pinned
# in go.mod (the `tool` directive), so the generated code always matches the
# runtime library the module builds against.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go)
cd "$root/runtime/onnxpb"
protoc --plugin=protoc-gen-go="$tmp/protoc-gen-go" \
	--go_out=. --go_opt=paths=source_relative \
	onnx.proto
