package apps

import (
	"fmt"
	"path/filepath"

	"github.com/latent-ml/latent/data"
)

// FashionDir is where Debian's dataset-fashion-mnist package installs the
// Fashion-MNIST IDX files.
const FashionDir = "/usr/share/datasets/fashion-mnist"

// FashionClasses names the ten Fashion-MNIST labels.
var FashionClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// Labelled is a set of images (Dataset.Shape [C, H, W]) with integer
// labels.
type Labelled struct {
	*data.Dataset
	Labels []int
}

// LoadFashion loads the Fashion-MNIST training or test split ("train" or
// "t10k") from dir, keeping at most limit images (0: all). Pixels are in
// [0,1]: the data package divides uint8 IDX pixels by 255, as it does for
// every command that reads these files.
func LoadFashion(dir, split string, limit int) (*Labelled, error) {
	if split != "train" && split != "t10k" {
		return nil, fmt.Errorf("fashion-mnist split must be train or t10k, got %q", split)
	}
	imgPath := filepath.Join(dir, split+"-images-idx3-ubyte.gz")
	im, err := data.Load(imgPath, data.Options{Format: data.IDX, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("fashion-mnist: %w (bash tools/setup.sh installs Debian's dataset-fashion-mnist into %s; --data DIR reads another folder)", err, FashionDir)
	}
	if len(im.Shape) != 3 {
		return nil, fmt.Errorf("fashion-mnist %s: samples of shape %v, want images", imgPath, im.Shape)
	}
	labels, err := data.LoadIDXLabels(filepath.Join(dir, split+"-labels-idx1-ubyte.gz"), limit)
	if err != nil {
		return nil, err
	}
	if len(labels) != im.N {
		return nil, fmt.Errorf("fashion-mnist %s: %d images but %d labels", split, im.N, len(labels))
	}
	return &Labelled{Dataset: im, Labels: labels}, nil
}

// Select returns the images whose label satisfies keep, in order.
func (l *Labelled) Select(keep func(label int) bool) *Labelled {
	var rows []int
	for i, y := range l.Labels {
		if keep(y) {
			rows = append(rows, i)
		}
	}
	out := &Labelled{Dataset: l.Subset(rows), Labels: make([]int, len(rows))}
	for i, r := range rows {
		out.Labels[i] = l.Labels[r]
	}
	return out
}
