package trainer

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/internal/atomicfile"
	"github.com/latent-ml/latent/models"
)

// Checkpoint file format, version 2 (all integers little endian):
//
//	magic    8 bytes  "LATENTCK"
//	version  uint32   2 (version 1 files are still read)
//	hlen     uint32   length of the JSON header
//	header   hlen bytes of JSON: {"spec", "scaler", "state", "tensors"}
//	data     the tensors' float32 values, concatenated in header order
//	checksum 32 bytes SHA-256 of everything above
//
// Each header tensor entry is {"name", "shape", "offset", "len"} with offset
// and len counted in float32 elements from the start of data. Model
// parameters use their Param names (enc0.W [out,in], enc0.b [1,out], ...);
// training state adds "opt<slot>/<name>" (optimiser moments) and
// "best/<name>" (early-stopping best weights). Version 2 adds the image and
// VAE kinds: their layer parameters are named after the layers (enc.conv0.W
// [out,in,k,k], mu.W, dec.conv0.W [in,out,k,k] for transposed convolutions,
// ...) and non-trainable model state (batch norm running statistics,
// "<layer>.running_mean" and "<layer>.running_var") follows the parameters;
// version 1 files (dense kinds only) have the same layout without state.
// Files are written to a
// temporary file, synced and renamed, so a reader never sees a partial file.

const (
	ckptMagic   = "LATENTCK"
	ckptVersion = 2
	// ckptOldest is the oldest version LoadCheckpoint reads.
	ckptOldest = 1
)

// TrainState is the resumable state of a training run.
type TrainState struct {
	// Epoch is the number of completed epochs.
	Epoch int    `json:"epoch"`
	Seed  uint64 `json:"seed"`
	// RNG is the marshalled training random source (shuffling and noise).
	RNG        []byte          `json:"rng"`
	Step       int64           `json:"step"`
	Optimizer  OptimizerConfig `json:"optimizer"`
	Schedule   ScheduleState   `json:"schedule"`
	BestLoss   float64         `json:"best_loss"`
	BestEpoch  int             `json:"best_epoch"`
	Bad        int             `json:"bad_epochs"`
	Pretrained bool            `json:"pretrained,omitempty"`
	// Tensors restored into the optimiser and best weights on resume.
	opt  [][]float32
	best [][]float32
}

type ckptTensor struct {
	Name   string `json:"name"`
	Shape  []int  `json:"shape"`
	Offset int64  `json:"offset"`
	Len    int64  `json:"len"`
}

type ckptHeader struct {
	Spec    models.Spec  `json:"spec"`
	Scaler  data.Scaler  `json:"scaler"`
	State   *TrainState  `json:"state,omitempty"`
	Tensors []ckptTensor `json:"tensors"`
}

// SaveCheckpoint atomically writes m and (optionally) the training state st
// to path.
func SaveCheckpoint(path string, m *Model, st *TrainState) error {
	h := ckptHeader{Spec: m.Spec, Scaler: m.Scaler, State: st}
	var blobs [][]float32
	var off int64
	add := func(name string, shape []int, v []float32) {
		h.Tensors = append(h.Tensors, ckptTensor{Name: name, Shape: shape, Offset: off, Len: int64(len(v))})
		blobs = append(blobs, v)
		off += int64(len(v))
	}
	params := m.Params()
	for _, p := range params {
		add(p.Name, p.Shape, p.Data)
	}
	for _, p := range m.state() {
		add(p.Name, p.Shape, p.Data)
	}
	if st != nil {
		np := len(params)
		for i, s := range st.opt {
			p := params[i%np]
			add(fmt.Sprintf("opt%d/%s", i/np, p.Name), p.Shape, s)
		}
		for i, b := range st.best {
			p := params[i]
			add("best/"+p.Name, p.Shape, b)
		}
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", path, err)
	}
	var buf bytes.Buffer
	buf.WriteString(ckptMagic)
	binary.Write(&buf, binary.LittleEndian, uint32(ckptVersion))
	binary.Write(&buf, binary.LittleEndian, uint32(len(hj)))
	buf.Write(hj)
	b4 := make([]byte, 4)
	for _, v := range blobs {
		for _, f := range v {
			binary.LittleEndian.PutUint32(b4, math.Float32bits(f))
			buf.Write(b4)
		}
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	return writeAtomic(path, buf.Bytes())
}

func writeAtomic(path string, b []byte) error {
	if err := atomicfile.Write(path, b); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", path, err)
	}
	return nil
}

// ErrChecksum reports a checkpoint whose contents do not match its checksum.
var ErrChecksum = errors.New("checksum mismatch (file corrupt or truncated)")

// LoadCheckpoint reads and verifies a checkpoint written by SaveCheckpoint.
// The returned state is nil when the file holds only a model.
func LoadCheckpoint(path string) (*Model, *TrainState, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load checkpoint: %w", err)
	}
	m, st, err := decodeCheckpoint(b)
	if err != nil {
		return nil, nil, fmt.Errorf("load checkpoint %s: %w", path, err)
	}
	return m, st, nil
}

func decodeCheckpoint(b []byte) (*Model, *TrainState, error) {
	if len(b) < 16+sha256.Size || string(b[:8]) != ckptMagic {
		return nil, nil, errors.New("not a latent checkpoint (bad magic or too short)")
	}
	body, want := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], want) {
		return nil, nil, ErrChecksum
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v < ckptOldest || v > ckptVersion {
		return nil, nil, fmt.Errorf("unsupported checkpoint version %d (want %d to %d)", v, ckptOldest, ckptVersion)
	}
	hlen := int(binary.LittleEndian.Uint32(b[12:]))
	if 16+hlen > len(body) {
		return nil, nil, fmt.Errorf("header length %d exceeds file", hlen)
	}
	var h ckptHeader
	if err := json.Unmarshal(body[16:16+hlen], &h); err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	raw := body[16+hlen:]
	if len(raw)%4 != 0 {
		return nil, nil, fmt.Errorf("tensor data is %d bytes, not a multiple of 4", len(raw))
	}
	vals := make([]float32, len(raw)/4)
	for i := range vals {
		vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[i*4:]))
	}
	if err := checkSpecFits(h.Spec, len(vals)); err != nil {
		return nil, nil, err
	}
	m, err := NewModel(h.Spec, 0)
	if err != nil {
		return nil, nil, err
	}
	if err := h.Scaler.Check(h.Spec.Input); err != nil {
		return nil, nil, err
	}
	m.Scaler = h.Scaler
	tensors := map[string][]float32{}
	for _, t := range h.Tensors {
		if t.Offset < 0 || t.Len < 0 || t.Offset+t.Len > int64(len(vals)) {
			return nil, nil, fmt.Errorf("tensor %s: range [%d,%d) outside data of %d values", t.Name, t.Offset, t.Offset+t.Len, len(vals))
		}
		tensors[t.Name] = vals[t.Offset : t.Offset+t.Len]
	}
	get := func(name string, p *Param) ([]float32, error) {
		v, ok := tensors[name]
		if !ok {
			return nil, fmt.Errorf("missing tensor %s", name)
		}
		if len(v) != len(p.Data) {
			return nil, fmt.Errorf("tensor %s has %d values, spec needs %d (shape %v)", name, len(v), len(p.Data), p.Shape)
		}
		return v, nil
	}
	params := m.Params()
	for _, p := range append(params[:len(params):len(params)], m.state()...) {
		v, err := get(p.Name, p)
		if err != nil {
			return nil, nil, err
		}
		copy(p.Data, v)
	}
	st := h.State
	if st != nil {
		for slot := 0; ; slot++ {
			if _, ok := tensors[fmt.Sprintf("opt%d/%s", slot, params[0].Name)]; !ok {
				break
			}
			for _, p := range params {
				v, err := get(fmt.Sprintf("opt%d/%s", slot, p.Name), p)
				if err != nil {
					return nil, nil, err
				}
				st.opt = append(st.opt, append([]float32(nil), v...))
			}
		}
		if _, ok := tensors["best/"+params[0].Name]; ok {
			for _, p := range params {
				v, err := get("best/"+p.Name, p)
				if err != nil {
					return nil, nil, err
				}
				st.best = append(st.best, append([]float32(nil), v...))
			}
		}
	}
	return m, st, nil
}
