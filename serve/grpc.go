package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"

	"github.com/latent-ml/latent/ops"
	pb "github.com/latent-ml/latent/serve/inferencepb"
)

// ServeGRPC answers the gRPC service (inference.GRPCInferenceService) on
// ln until ctx ends, then stops accepting calls, reports not ready, waits
// up to ShutdownTimeout for calls in flight (open streams included) and
// returns. Messages over MaxRequestBytes are refused with
// ResourceExhausted. It does not close the models (Close).
func (s *Server) ServeGRPC(ctx context.Context, ln net.Listener) error {
	gs := grpc.NewServer(
		grpc.MaxRecvMsgSize(int(min(s.cfg.MaxRequestBytes, math.MaxInt32))),
		grpc.ConnectionTimeout(s.cfg.ReadTimeout),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: s.cfg.IdleTimeout}),
	)
	s.RegisterGRPC(gs)
	errc := make(chan error, 1)
	go func() { errc <- gs.Serve(ln) }()
	s.log.Info("serving gRPC", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve gRPC: %w", err)
	case <-ctx.Done():
	}
	s.ready.Store(false)
	s.log.Info("shutting down gRPC: draining calls in flight", "timeout", s.cfg.ShutdownTimeout)
	stopped := make(chan struct{})
	go func() {
		gs.GracefulStop()
		close(stopped)
	}()
	timer := time.NewTimer(s.cfg.ShutdownTimeout)
	defer timer.Stop()
	var err error
	select {
	case <-stopped:
	case <-timer.C:
		gs.Stop()
		<-stopped
		err = fmt.Errorf("serve gRPC: shutdown: calls still in flight after %v were cut off", s.cfg.ShutdownTimeout)
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, grpc.ErrServerStopped) && err == nil {
		err = fmt.Errorf("serve gRPC: %w", serr)
	}
	s.log.Info("stopped", "protocol", "gRPC")
	return err
}

// RegisterGRPC registers the server's gRPC service on gs, for callers
// that run their own grpc.Server (TLS, interceptors); ServeGRPC does this
// for a plain listener.
func (s *Server) RegisterGRPC(gs *grpc.Server) {
	pb.RegisterGRPCInferenceServiceServer(gs, &grpcService{s: s})
}

// grpcService implements inference.GRPCInferenceService over the server.
type grpcService struct {
	pb.UnimplementedGRPCInferenceServiceServer
	s *Server
}

// grpcStatus spells err as a gRPC status: a client that left is Canceled
// or DeadlineExceeded, otherwise the code of the error's HTTP status.
func grpcStatus(err error) *status.Status {
	if err == nil {
		return status.New(codes.OK, "")
	}
	if st, ok := status.FromError(err); ok {
		return st
	}
	code := codes.Internal
	switch {
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	default:
		switch statusOf(err) {
		case http.StatusBadRequest:
			code = codes.InvalidArgument
		case http.StatusNotFound:
			code = codes.NotFound
		case http.StatusRequestEntityTooLarge:
			code = codes.ResourceExhausted
		case http.StatusServiceUnavailable:
			code = codes.Unavailable
		case http.StatusNotImplemented:
			code = codes.Unimplemented
		}
	}
	return status.New(code, err.Error())
}

// call runs one gRPC call: metrics, panics turned into Internal, errors
// into statuses.
func (s *Server) call(endpoint, modelName string, f func() error) (err error) {
	start := time.Now()
	func() {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic in gRPC call", "endpoint", endpoint, "panic", p, "stack", string(debug.Stack()))
				err = errorf(http.StatusInternalServerError, "internal error: %v", p)
			}
		}()
		err = f()
	}()
	st := grpcStatus(err)
	label := ""
	if modelName != "" && s.repo.known(modelName) {
		label = modelName
	}
	if st.Code() == codes.Internal || st.Code() == codes.Unknown {
		s.log.Error("request failed", "endpoint", endpoint, "model", label, "code", st.Code().String(), "err", err)
	}
	s.metrics.observe(label, endpoint, "grpc", st.Code().String(), err != nil, time.Since(start))
	if err != nil {
		return st.Err()
	}
	return nil
}

func (g *grpcService) ServerLive(ctx context.Context, req *pb.ServerLiveRequest) (resp *pb.ServerLiveResponse, err error) {
	err = g.s.call("live", "", func() error {
		resp = &pb.ServerLiveResponse{Live: true}
		return nil
	})
	return resp, err
}

func (g *grpcService) ServerReady(ctx context.Context, req *pb.ServerReadyRequest) (resp *pb.ServerReadyResponse, err error) {
	err = g.s.call("ready", "", func() error {
		resp = &pb.ServerReadyResponse{Ready: g.s.ready.Load()}
		return nil
	})
	return resp, err
}

// ModelReady answers false, not an error, for a model that is not loaded.
func (g *grpcService) ModelReady(ctx context.Context, req *pb.ModelReadyRequest) (resp *pb.ModelReadyResponse, err error) {
	err = g.s.call("model_ready", req.GetName(), func() error {
		resp = &pb.ModelReadyResponse{}
		m, err := g.s.repo.get(req.GetName(), req.GetVersion())
		if err != nil {
			if statusOf(err) == http.StatusNotFound {
				return nil
			}
			return err
		}
		defer m.release()
		resp.Ready = g.s.ready.Load()
		return nil
	})
	return resp, err
}

func (g *grpcService) ServerMetadata(ctx context.Context, req *pb.ServerMetadataRequest) (resp *pb.ServerMetadataResponse, err error) {
	err = g.s.call("server_metadata", "", func() error {
		resp = &pb.ServerMetadataResponse{Name: "latent", Version: Version(), Extensions: extensions}
		return nil
	})
	return resp, err
}

func (g *grpcService) ModelMetadata(ctx context.Context, req *pb.ModelMetadataRequest) (resp *pb.ModelMetadataResponse, err error) {
	err = g.s.call("model_metadata", req.GetName(), func() error {
		m, err := g.s.repo.get(req.GetName(), req.GetVersion())
		if err != nil {
			return err
		}
		defer m.release()
		md := m.metadata()
		resp = &pb.ModelMetadataResponse{Name: md.Name, Versions: md.Versions, Platform: md.Platform}
		for _, t := range md.Inputs {
			resp.Inputs = append(resp.Inputs, &pb.ModelMetadataResponse_TensorMetadata{Name: t.Name, Datatype: t.Datatype, Shape: t.Shape})
		}
		for _, t := range md.Outputs {
			resp.Outputs = append(resp.Outputs, &pb.ModelMetadataResponse_TensorMetadata{Name: t.Name, Datatype: t.Datatype, Shape: t.Shape})
		}
		return nil
	})
	return resp, err
}

func (g *grpcService) ModelInfer(ctx context.Context, req *pb.ModelInferRequest) (resp *pb.ModelInferResponse, err error) {
	err = g.s.call("infer", req.GetModelName(), func() error {
		resp, err = g.s.grpcInfer(ctx, req)
		return err
	})
	return resp, err
}

// ModelStreamInfer answers the requests of a stream one after another,
// each with its response or its error message; a failed request does not
// end the stream.
func (g *grpcService) ModelStreamInfer(stream pb.GRPCInferenceService_ModelStreamInferServer) error {
	ctx := stream.Context()
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var resp *pb.ModelInferResponse
		cerr := g.s.call("stream_infer", req.GetModelName(), func() error {
			var err error
			resp, err = g.s.grpcInfer(ctx, req)
			return err
		})
		out := &pb.ModelStreamInferResponse{InferResponse: resp}
		if cerr != nil {
			out = &pb.ModelStreamInferResponse{ErrorMessage: status.Convert(cerr).Message(),
				InferResponse: &pb.ModelInferResponse{ModelName: req.GetModelName(), ModelVersion: req.GetModelVersion(), Id: req.GetId()}}
		}
		if err := stream.Send(out); err != nil {
			return err
		}
	}
}

func (g *grpcService) ModelStatistics(ctx context.Context, req *pb.ModelStatisticsRequest) (resp *pb.ModelStatisticsResponse, err error) {
	err = g.s.call("statistics", req.GetName(), func() error {
		var m *model
		if req.GetName() != "" {
			var err error
			if m, err = g.s.repo.get(req.GetName(), req.GetVersion()); err != nil {
				return err
			}
			defer m.release()
		} else if req.GetVersion() != "" {
			return errorf(http.StatusBadRequest, "statistics: version %q given without a model name", req.GetVersion())
		}
		resp = &pb.ModelStatisticsResponse{}
		for _, ms := range g.s.statistics(m).ModelStats {
			resp.ModelStats = append(resp.ModelStats, ms.proto())
		}
		return nil
	})
	return resp, err
}

func (g *grpcService) RepositoryIndex(ctx context.Context, req *pb.RepositoryIndexRequest) (resp *pb.RepositoryIndexResponse, err error) {
	err = g.s.call("repository_index", "", func() error {
		idx, err := g.s.repo.index(req.GetReady())
		if err != nil {
			return errorf(http.StatusInternalServerError, "%v", err)
		}
		resp = &pb.RepositoryIndexResponse{}
		for _, e := range idx {
			resp.Models = append(resp.Models, &pb.RepositoryIndexResponse_ModelIndex{Name: e.Name, Version: e.Version, State: e.State, Reason: e.Reason})
		}
		return nil
	})
	return resp, err
}

// repositoryModel is the model a load or unload request names: Triton
// clients put it in model_name; KServe's protocol numbers that field 1,
// which is repository_name in Triton's (and here).
func repositoryModel(repositoryName, modelName string) (string, error) {
	if modelName != "" {
		return modelName, nil
	}
	if repositoryName != "" {
		return repositoryName, nil
	}
	return "", errorf(http.StatusBadRequest, "no model_name given")
}

func (g *grpcService) RepositoryModelLoad(ctx context.Context, req *pb.RepositoryModelLoadRequest) (resp *pb.RepositoryModelLoadResponse, err error) {
	name, nerr := repositoryModel(req.GetRepositoryName(), req.GetModelName())
	err = g.s.call("repository_load", name, func() error {
		if nerr != nil {
			return nerr
		}
		if err := checkRepositoryParams("load", keysOf(req.GetParameters())); err != nil {
			return err
		}
		if err := g.s.repo.load(ctx, name); err != nil {
			return err
		}
		resp = &pb.RepositoryModelLoadResponse{ModelName: name, IsLoaded: true}
		return nil
	})
	return resp, err
}

func (g *grpcService) RepositoryModelUnload(ctx context.Context, req *pb.RepositoryModelUnloadRequest) (resp *pb.RepositoryModelUnloadResponse, err error) {
	name, nerr := repositoryModel(req.GetRepositoryName(), req.GetModelName())
	err = g.s.call("repository_unload", name, func() error {
		if nerr != nil {
			return nerr
		}
		if err := checkRepositoryParams("unload", keysOf(req.GetParameters())); err != nil {
			return err
		}
		if err := g.s.repo.unload(ctx, name); err != nil {
			return err
		}
		resp = &pb.RepositoryModelUnloadResponse{ModelName: name, IsUnloaded: true}
		return nil
	})
	return resp, err
}

// grpcInfer runs one ModelInfer request.
func (s *Server) grpcInfer(ctx context.Context, req *pb.ModelInferRequest) (*pb.ModelInferResponse, error) {
	m, err := s.repo.get(req.GetModelName(), req.GetModelVersion())
	if err != nil {
		return nil, err
	}
	defer m.release()
	return s.grpcInferModel(ctx, m, req)
}

func (s *Server) grpcInferModel(ctx context.Context, m *model, req *pb.ModelInferRequest) (resp *pb.ModelInferResponse, err error) {
	tr := m.trace()
	defer func() { tr.finish(err) }()
	ins, raw, err := grpcInputs(m, req)
	if err != nil {
		return nil, err
	}
	warning := s.prepareInputs(m, ins)
	tr.inputsDecoded()
	var picks []int
	for _, ro := range req.GetOutputs() {
		idx, err := outputIndexOf(m, ro.GetName())
		if err != nil {
			return nil, err
		}
		if err := checkTensorParams(fmt.Sprintf("output %q", ro.GetName()), keysOf(ro.GetParameters())); err != nil {
			return nil, err
		}
		picks = append(picks, idx)
	}
	if len(picks) == 0 {
		for i := range m.outputs {
			picks = append(picks, i)
		}
	}
	outs, ri, err := s.run(ctx, m, ins)
	if err != nil {
		return nil, err
	}
	tr.modelRan(ri, m.samples(ins))
	resp = &pb.ModelInferResponse{ModelName: m.name, ModelVersion: m.version, Id: req.GetId()}
	if warning != "" {
		resp.Parameters = map[string]*pb.InferParameter{"scale_warning": {ParameterChoice: &pb.InferParameter_StringParam{StringParam: warning}}}
	}
	if err := grpcOutputs(resp, m, outs, picks, raw); err != nil {
		return nil, err
	}
	return resp, nil
}

// grpcInputs decodes a request's inputs (in graph order) from typed
// contents or raw_input_contents; raw reports which.
func grpcInputs(m *model, req *pb.ModelInferRequest) ([]*ops.Tensor, bool, error) {
	if len(req.GetInputs()) == 0 {
		return nil, false, errorf(http.StatusBadRequest, "request has no inputs (model %q takes %s)", m.name, inputList(m))
	}
	raws := req.GetRawInputContents()
	raw := len(raws) > 0
	if raw && len(raws) != len(req.GetInputs()) {
		return nil, false, errorf(http.StatusBadRequest, "raw_input_contents has %d entries for %d inputs (give one per input, in the order of inputs)", len(raws), len(req.GetInputs()))
	}
	ins := make([]*ops.Tensor, len(m.inputs))
	for i, it := range req.GetInputs() {
		what := fmt.Sprintf("input %q", it.GetName())
		if err := checkTensorParams(what, keysOf(it.GetParameters())); err != nil {
			return nil, false, err
		}
		idx, dt, n, err := inputHeader(m, ins, it.GetName(), it.GetDatatype(), it.GetShape())
		if err != nil {
			return nil, false, err
		}
		var data any
		if raw {
			if contentsLen(it.GetContents()) > 0 {
				return nil, false, errorf(http.StatusBadRequest, "%s: elements in both contents and raw_input_contents (give one)", what)
			}
			data, err = fromBinary(what, raws[i], dt, n)
		} else {
			data, err = fromContents(what, it.GetContents(), dt, n)
		}
		if err != nil {
			return nil, false, errorf(http.StatusBadRequest, "%v", err)
		}
		ins[idx] = tensorOf(dt, it.GetShape(), data)
	}
	if err := allInputs(m, ins); err != nil {
		return nil, false, err
	}
	return ins, raw, nil
}

// contentsField names the InferTensorContents field of an element type
// ("" for FP16 and BF16, which have none).
func contentsField(dt ops.DType) string {
	switch dt {
	case ops.Bool:
		return "bool_contents"
	case ops.Int8, ops.Int16, ops.Int32:
		return "int_contents"
	case ops.Int64:
		return "int64_contents"
	case ops.Uint8, ops.Uint16, ops.Uint32:
		return "uint_contents"
	case ops.Uint64:
		return "uint64_contents"
	case ops.Float32:
		return "fp32_contents"
	case ops.Float64:
		return "fp64_contents"
	case ops.String:
		return "bytes_contents"
	}
	return ""
}

func contentsFields(c *pb.InferTensorContents) []struct {
	name string
	n    int
} {
	return []struct {
		name string
		n    int
	}{
		{"bool_contents", len(c.GetBoolContents())}, {"int_contents", len(c.GetIntContents())},
		{"int64_contents", len(c.GetInt64Contents())}, {"uint_contents", len(c.GetUintContents())},
		{"uint64_contents", len(c.GetUint64Contents())}, {"fp32_contents", len(c.GetFp32Contents())},
		{"fp64_contents", len(c.GetFp64Contents())}, {"bytes_contents", len(c.GetBytesContents())},
	}
}

func contentsLen(c *pb.InferTensorContents) int {
	n := 0
	for _, f := range contentsFields(c) {
		n += f.n
	}
	return n
}

// fromContents takes n elements of type dt from the contents field of dt
// (narrowing INT8 and UINT8 with a range check).
func fromContents(what string, c *pb.InferTensorContents, dt ops.DType, n int) (any, error) {
	want := contentsField(dt)
	got := 0
	for _, f := range contentsFields(c) {
		if f.n == 0 {
			continue
		}
		if f.name != want {
			if want == "" {
				return nil, fmt.Errorf("%s: %s elements have no contents field: send them in raw_input_contents", what, DatatypeName(dt))
			}
			return nil, fmt.Errorf("%s: %s elements go in %s, got %s", what, DatatypeName(dt), want, f.name)
		}
		got = f.n
	}
	if got != n {
		if want == "" {
			return nil, fmt.Errorf("%s: %s elements have no contents field: send them in raw_input_contents", what, DatatypeName(dt))
		}
		return nil, fmt.Errorf("%s: %s holds %d elements, shape needs %d", what, want, got, n)
	}
	if n == 0 {
		return ops.MakeSlice(dt, 0), nil
	}
	switch dt {
	case ops.Bool:
		return c.GetBoolContents(), nil
	case ops.Int32:
		return c.GetIntContents(), nil
	case ops.Int64:
		return c.GetInt64Contents(), nil
	case ops.Float32:
		return c.GetFp32Contents(), nil
	case ops.Float64:
		return c.GetFp64Contents(), nil
	case ops.Uint32:
		return c.GetUintContents(), nil
	case ops.Uint64:
		return c.GetUint64Contents(), nil
	case ops.Int8:
		return narrowInts[int8](what, c.GetIntContents(), math.MinInt8, math.MaxInt8, "INT8")
	case ops.Int16:
		return narrowInts[int16](what, c.GetIntContents(), math.MinInt16, math.MaxInt16, "INT16")
	case ops.Uint8:
		return narrowInts[uint8](what, c.GetUintContents(), 0, math.MaxUint8, "UINT8")
	case ops.Uint16:
		return narrowInts[uint16](what, c.GetUintContents(), 0, math.MaxUint16, "UINT16")
	case ops.String:
		out := make([]string, n)
		for i, v := range c.GetBytesContents() {
			out[i] = string(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: %s has no contents field", what, DatatypeName(dt))
}

// narrowInts converts the elements of a wider contents field to T,
// refusing any outside [lo, hi].
func narrowInts[T int8 | int16 | uint8 | uint16, W int32 | uint32](what string, in []W, lo, hi int64, name string) ([]T, error) {
	out := make([]T, len(in))
	for i, v := range in {
		if int64(v) < lo || int64(v) > hi {
			return nil, fmt.Errorf("%s: element %d (%d) is outside %s's range [%d, %d]", what, i, v, name, lo, hi)
		}
		out[i] = T(v)
	}
	return out, nil
}

// grpcOutputs fills resp with the picked outputs: as raw contents if the
// request sent raw contents (tritonclient does, and reads only raw) or an
// output has no contents field (FP16), else as typed contents.
func grpcOutputs(resp *pb.ModelInferResponse, m *model, outs []*ops.Tensor, picks []int, raw bool) error {
	for _, i := range picks {
		if contentsField(outs[i].DType) == "" {
			raw = true
		}
	}
	for _, i := range picks {
		t := outs[i]
		o := &pb.ModelInferResponse_InferOutputTensor{Name: m.outputs[i].Name, Datatype: DatatypeName(t.DType), Shape: shape64(t.Shape)}
		if o.Datatype == "" {
			return errorf(http.StatusInternalServerError, "output %q has element type %v, which the protocol cannot carry", o.Name, t.DType)
		}
		if raw {
			resp.RawOutputContents = append(resp.RawOutputContents, appendBinary(make([]byte, 0, binarySize(t)), t))
		} else {
			o.Contents = contentsOf(t)
		}
		resp.Outputs = append(resp.Outputs, o)
	}
	return nil
}

// contentsOf holds t's elements in the contents field of its type.
func contentsOf(t *ops.Tensor) *pb.InferTensorContents {
	c := &pb.InferTensorContents{}
	switch d := t.Data.(type) {
	case []bool:
		c.BoolContents = d
	case []int32:
		c.IntContents = d
	case []int8:
		c.IntContents = widen[int32](d)
	case []int16:
		c.IntContents = widen[int32](d)
	case []int64:
		c.Int64Contents = d
	case []uint8:
		c.UintContents = widen[uint32](d)
	case []uint16:
		c.UintContents = widen[uint32](d) // UINT16 only: FP16 and BF16 go raw
	case []uint32:
		c.UintContents = d
	case []uint64:
		c.Uint64Contents = d
	case []string:
		c.BytesContents = make([][]byte, len(d))
		for i, v := range d {
			c.BytesContents[i] = []byte(v)
		}
	case []float32:
		c.Fp32Contents = d
	case []float64:
		c.Fp64Contents = d
	}
	return c
}

func widen[W int32 | uint32, T int8 | int16 | uint8 | uint16](d []T) []W {
	out := make([]W, len(d))
	for i, v := range d {
		out[i] = W(v)
	}
	return out
}
