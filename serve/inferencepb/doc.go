// Package inferencepb owns the protobuf messages and the gRPC service of
// the Open Inference Protocol v2 (package "inference", service
// GRPCInferenceService), generated from latent's own grpc_predict_v2.proto.
// Names and field numbers are the protocol's (with Triton's statistics and
// repository extensions), so KServe and Triton clients interoperate.
//
// Package serve implements the service; other packages should rarely need
// inferencepb directly, except to build a client.
package inferencepb

//go:generate sh ../../tools/gen/inferencepb.sh
