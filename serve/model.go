package serve

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime"
	"github.com/latent-ml/latent/runtime/graph"
)

// model is one loaded version of a model. It is immutable once loaded; a
// reload builds a new one and retires the old, which closes when its last
// request has finished.
type model struct {
	name, version, path string
	sess                *runtime.Session
	inputs, outputs     []graph.ValueInfo
	threshold           *float64
	kind                string // latent.kind, "" for models latent did not export
	latent              bool   // carries latent metadata
	// scaler is the recorded training data of a latent model whose input
	// is data (model and encoder parts; nil otherwise): UINT8 inputs are
	// mapped to [0,1] by the data package's rule, and inputs plainly on
	// another scale draw a warning.
	scaler       *data.Scaler
	lastScaleLog atomic.Int64 // unix nanoseconds of the last scale warning logged
	batchMajor   bool         // see batchable
	batcher      *batcher
	stats        modelStats
	fingerprint  fileStamp // the model file when it was loaded

	refs      atomic.Int64
	retired   atomic.Bool
	closeOnce sync.Once
	closed    chan struct{} // closed once the session is
	closeErr  error
}

// openModel loads the model file at path.
func (s *Server) openModel(name, version, path string) (*model, error) {
	stamp, err := stampOf(path)
	if err != nil {
		return nil, err
	}
	sess, err := runtime.Open(path, runtime.WithBackend(s.cfg.Backend), runtime.WithThreads(s.cfg.Threads))
	if err != nil {
		return nil, err
	}
	m := &model{name: name, version: version, path: path, sess: sess, inputs: sess.Inputs(), outputs: sess.Outputs(),
		fingerprint: stamp, closed: make(chan struct{})}
	if md, err := metadata.Read(sess.Model()); err == nil {
		m.latent, m.threshold = true, md.Threshold
		m.kind, _ = sess.Model().MetadataValue(metadata.KeyKind)
		if (md.Part == metadata.PartModel || md.Part == metadata.PartEncoder) && len(m.inputs) == 1 {
			m.scaler = &md.Scaler
		}
	}
	for _, vi := range append(append([]graph.ValueInfo(nil), m.inputs...), m.outputs...) {
		if vi.DType != ops.Invalid && DatatypeName(vi.DType) == "" {
			sess.Close()
			return nil, fmt.Errorf("value %q has element type %v, which the protocol cannot carry", vi.Name, vi.DType)
		}
	}
	m.batchMajor = batchable(m)
	if s.cfg.MaxBatch > 1 && m.batchMajor {
		m.batcher = newBatcher(s, m)
	}
	m.stats.loaded = time.Now()
	return m, nil
}

// acquire takes a reference for one request; false means the model was
// retired meanwhile (its successor, if any, is already in the registry).
func (m *model) acquire() bool {
	m.refs.Add(1)
	if m.retired.Load() {
		m.release()
		return false
	}
	return true
}

func (m *model) release() {
	if m.refs.Add(-1) == 0 && m.retired.Load() {
		m.close()
	}
}

// retire takes m out of service: new requests no longer get it, and it
// closes once the requests holding it have finished.
func (m *model) retire() {
	m.retired.Store(true)
	if m.refs.Load() == 0 {
		m.close()
	}
}

// close stops the batcher (which finishes the batches it holds) and
// closes the session, once.
func (m *model) close() {
	m.closeOnce.Do(func() {
		if m.batcher != nil {
			m.batcher.stop()
		}
		if err := m.sess.Close(); err != nil {
			m.closeErr = fmt.Errorf("close model %q: %w", m.name, err)
		}
		close(m.closed)
	})
}

// samples is the number of samples a request carries for the statistics:
// the rows of a batch-major model's input, else 1.
func (m *model) samples(ins []*ops.Tensor) int {
	if m.batchMajor && len(ins) > 0 && len(ins[0].Shape) > 0 {
		return ins[0].Shape[0]
	}
	return 1
}

func (m *model) inputIndex(name string) int {
	for i, vi := range m.inputs {
		if vi.Name == name {
			return i
		}
	}
	return -1
}

func (m *model) outputIndex(name string) int {
	for i, vi := range m.outputs {
		if vi.Name == name {
			return i
		}
	}
	return -1
}
