// Package onnxpb owns the protobuf messages of the ONNX file format
// (ModelProto, GraphProto, TensorProto …), generated from latent's own
// onnx.proto. Field numbers are ONNX's, so any ONNX file decodes with
// google.golang.org/protobuf/proto.Unmarshal into a *ModelProto.
//
// Package graph converts these messages to and from latent's graph IR;
// other packages should rarely need onnxpb directly.
package onnxpb

//go:generate sh ../../tools/gen/onnxpb.sh
