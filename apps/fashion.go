package apps

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/latent-ml/latent/data"
)

// FashionDir is where Debian's dataset-fashion-mnist package installs the
// Fashion-MNIST IDX files.
const FashionDir = "/usr/share/datasets/fashion-mnist"

// FashionClasses names the ten Fashion-MNIST labels.
var FashionClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// Labelled is a set of n images of D pixels in [0,1] with integer labels.
type Labelled struct {
	*data.Dataset
	Shape  []int // [C, H, W]
	Labels []int
}

// LoadFashion loads the Fashion-MNIST training or test split ("train" or
// "t10k") from dir, keeping at most limit images (0: all).
func LoadFashion(dir, split string, limit int) (*Labelled, error) {
	if split != "train" && split != "t10k" {
		return nil, fmt.Errorf("fashion-mnist split must be train or t10k, got %q", split)
	}
	imgPath := filepath.Join(dir, split+"-images-idx3-ubyte.gz")
	im, err := data.LoadImages(imgPath, limit)
	if err != nil {
		return nil, fmt.Errorf("fashion-mnist (install with: apt-get install dataset-fashion-mnist): %w", err)
	}
	labels, err := LoadIDXLabels(filepath.Join(dir, split+"-labels-idx1-ubyte.gz"), limit)
	if err != nil {
		return nil, err
	}
	if len(labels) != im.N {
		return nil, fmt.Errorf("fashion-mnist %s: %d images but %d labels", split, im.N, len(labels))
	}
	return &Labelled{Dataset: im.Dataset, Shape: im.Shape, Labels: labels}, nil
}

// LoadIDXLabels reads an IDX1 label file (raw or gzip; magic 0x00000801),
// keeping at most limit labels (0: all).
func LoadIDXLabels(path string, limit int) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("labels %s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	return ReadIDXLabels(r, path, limit)
}

// ReadIDXLabels is LoadIDXLabels from a reader; name labels errors.
func ReadIDXLabels(r io.Reader, name string, limit int) ([]int, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("labels %s: header: %w", name, err)
	}
	if m := binary.BigEndian.Uint32(hdr[:4]); m != 0x801 {
		return nil, fmt.Errorf("labels %s: magic %#08x is not an IDX1 uint8 file (0x00000801)", name, m)
	}
	n := int(binary.BigEndian.Uint32(hdr[4:]))
	if n > 1<<26 {
		return nil, fmt.Errorf("labels %s: %d labels is implausibly many", name, n)
	}
	if limit > 0 && limit < n {
		n = limit
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("labels %s: want %d labels: %w", name, n, err)
	}
	out := make([]int, n)
	for i, v := range b {
		out[i] = int(v)
	}
	return out, nil
}

// Select returns the images whose label satisfies keep, in order.
func (l *Labelled) Select(keep func(label int) bool) *Labelled {
	var rows []int
	for i, y := range l.Labels {
		if keep(y) {
			rows = append(rows, i)
		}
	}
	out := &Labelled{Dataset: l.Subset(rows), Shape: l.Shape, Labels: make([]int, len(rows))}
	for i, r := range rows {
		out.Labels[i] = l.Labels[r]
	}
	return out
}
