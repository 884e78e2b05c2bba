package apps

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/latent-ml/latent/apps/pngplot"
	"github.com/latent-ml/latent/models"
)

// EpochLoss is the part of a metrics.jsonl line the loss plot reads.
type EpochLoss struct {
	Epoch   int      `json:"epoch"`
	Loss    float64  `json:"loss"`
	ValLoss *float64 `json:"val_loss,omitempty"`
}

// ReadMetrics reads the per-epoch losses of a metrics.jsonl file written by
// latent train. Lines that repeat an epoch (a resumed run) replace it.
func ReadMetrics(path string) ([]EpochLoss, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer f.Close()
	var out []EpochLoss
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e EpochLoss
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("metrics %s:%d: %w", path, line, err)
		}
		for len(out) > 0 && out[len(out)-1].Epoch >= e.Epoch {
			out = out[:len(out)-1]
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metrics %s: %w", path, err)
	}
	return out, nil
}

// ModelTitle names a model for plot titles (ASCII: the plots' bitmap font
// has no other characters): its kind and layer widths,
// "deep autoencoder 784-512-128-32"; convolutional kinds give the image
// and channels, "conv autoencoder 1x28x28, filters 32,64, code 32".
func ModelTitle(s models.Spec) string {
	name := string(s.Kind) + " autoencoder"
	if models.IsVAE(s.Kind) {
		name = string(s.Kind)
	}
	if models.IsConv(s.Kind) && len(s.Image) == 3 {
		fs := make([]string, len(s.Filters))
		for i, f := range s.Filters {
			fs[i] = strconv.Itoa(f)
		}
		return fmt.Sprintf("%s %dx%dx%d, filters %s, code %d", name, s.Image[0], s.Image[1], s.Image[2], strings.Join(fs, ","), s.Code)
	}
	ws := make([]string, 0, len(s.Hidden)+2)
	for _, w := range s.Sizes() {
		ws = append(ws, strconv.Itoa(w))
	}
	return name + " " + strings.Join(ws, "-")
}

// LossName says what a spec trains on: "MSE", "binary cross-entropy",
// "masked MSE", plus the KL term of a VAE and a sparsity or contractive
// penalty when the spec has one.
func LossName(s models.Spec) string {
	name := map[models.Loss]string{models.MSE: "MSE", models.BCE: "binary cross-entropy", models.MaskedMSE: "masked MSE"}[s.Loss]
	if name == "" {
		name = string(s.Loss)
	}
	switch {
	case models.IsVAE(s.Kind):
		name += " + beta*KL"
	case s.L1 > 0 || s.Beta > 0 && s.Kind == models.SparseKL:
		name += " + sparsity penalty"
	case s.Lambda > 0:
		name += " + contractive penalty"
	}
	return name
}

// LossTitle is the title of a training run's loss plot: the model, the
// data it trained on and the loss, e.g. "deep autoencoder 784-512-128-32
// on Fashion-MNIST: MSE per epoch".
func LossTitle(s models.Spec, data string) string {
	return fmt.Sprintf("%s on %s: %s per epoch", ModelTitle(s), data, LossName(s))
}

// LossPlot writes a PNG of the training (and, when present, validation)
// loss per epoch, on a log scale when the losses are positive (the axis
// label says so).
func LossPlot(path, title string, hist []EpochLoss) error {
	if len(hist) == 0 {
		return errors.New("loss plot: no epochs")
	}
	var tr, va pngplot.Line
	tr = pngplot.Line{Name: "train", Color: pngplot.Color(0), Width: 2, Markers: len(hist) <= 60}
	va = pngplot.Line{Name: "validation", Color: pngplot.Color(1), Width: 2, Markers: len(hist) <= 60}
	positive := true
	for _, e := range hist {
		if math.IsNaN(e.Loss) || math.IsInf(e.Loss, 0) {
			return fmt.Errorf("loss plot: the loss of epoch %d is not finite (%g)", e.Epoch, e.Loss)
		}
		tr.X = append(tr.X, float64(e.Epoch))
		tr.Y = append(tr.Y, e.Loss)
		positive = positive && e.Loss > 0
		if e.ValLoss != nil {
			v := *e.ValLoss
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("loss plot: the validation loss of epoch %d is not finite (%g)", e.Epoch, v)
			}
			va.X = append(va.X, float64(e.Epoch))
			va.Y = append(va.Y, v)
			positive = positive && v > 0
		}
	}
	p := &pngplot.Plot{
		Title: title, XLabel: "epoch", YLabel: "loss", IntegerX: true,
		Width: 640, Height: 440, LogY: positive,
		Lines: []pngplot.Line{tr}, Legend: pngplot.TopRight,
	}
	if len(va.X) > 0 {
		p.Lines = append(p.Lines, va)
	}
	if err := p.Save(path); err != nil {
		return fmt.Errorf("loss plot: %w", err)
	}
	return nil
}

// LossPlotFromMetrics reads dir/metrics.jsonl and writes dir/loss.png.
func LossPlotFromMetrics(dir, title string) (string, error) {
	hist, err := ReadMetrics(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "loss.png")
	return out, LossPlot(out, title, hist)
}

// ScatterPlot writes a PNG of 2-D points (n×2, row-major) coloured by label,
// with names[label] in the legend and the axes named xlabel and ylabel.
func ScatterPlot(path, title, xlabel, ylabel string, xy []float32, labels []int, names []string) error {
	if len(xy) != 2*len(labels) || len(labels) == 0 {
		return fmt.Errorf("scatter %s: %d coordinates for %d labels (want 2 per label)", path, len(xy), len(labels))
	}
	maxLabel := 0
	for i, y := range labels {
		if y < 0 {
			return fmt.Errorf("scatter %s: label %d of row %d is negative", path, y, i)
		}
		maxLabel = max(maxLabel, y)
	}
	groups := make([]pngplot.Points, maxLabel+1)
	for i, y := range labels {
		groups[y].X = append(groups[y].X, float64(xy[2*i]))
		groups[y].Y = append(groups[y].Y, float64(xy[2*i+1]))
	}
	p := &pngplot.Plot{Title: title, XLabel: xlabel, YLabel: ylabel, Width: 760, Height: 600, Legend: pngplot.Right}
	for y, g := range groups {
		if len(g.X) == 0 {
			continue
		}
		g.Name = fmt.Sprint(y)
		if y < len(names) {
			g.Name = names[y]
		}
		g.Color = pngplot.Color(y)
		g.Radius = 1
		p.Points = append(p.Points, g)
	}
	if err := p.Save(path); err != nil {
		return fmt.Errorf("scatter: %w", err)
	}
	return nil
}

// ROCPlot writes a PNG of one or more ROC curves with their AUC in the legend.
func ROCPlot(path, title string, names []string, curves [][]ROCPoint, aucs []float64) error {
	if len(names) != len(curves) || len(curves) != len(aucs) || len(curves) == 0 {
		return fmt.Errorf("roc plot %s: %d names, %d curves, %d AUCs", path, len(names), len(curves), len(aucs))
	}
	p := &pngplot.Plot{
		Title: title, XLabel: "false positive rate", YLabel: "true positive rate",
		Width: 520, Height: 520, FixX: true, FixY: true, XMin: 0, XMax: 1, YMin: 0, YMax: 1,
		Legend: pngplot.BottomRight,
	}
	p.Lines = append(p.Lines, pngplot.Line{X: []float64{0, 1}, Y: []float64{0, 1}, Color: color.RGBA{170, 170, 170, 255}, Dashed: true})
	for i, c := range curves {
		l := pngplot.Line{Name: fmt.Sprintf("%s (AUC %.3f)", names[i], aucs[i]), Color: pngplot.Color(i), Width: 2}
		for _, pt := range c {
			l.X = append(l.X, pt.FPR)
			l.Y = append(l.Y, pt.TPR)
		}
		p.Lines = append(p.Lines, l)
	}
	if err := p.Save(path); err != nil {
		return fmt.Errorf("roc plot: %w", err)
	}
	return nil
}

// ImageGrid writes a PNG of greyscale images laid out in rows under
// title, row r named labels[r] on its left: rows[r] holds the images of
// row r concatenated (each h×w, values in [0,1], clamped). Every row must
// hold the same number of images. scale enlarges each pixel to a
// scale×scale block; a one-pixel grey gap separates images.
func ImageGrid(path, title string, labels []string, rows [][]float32, h, w, scale int) error {
	g := &pngplot.Grid{Title: title, Labels: labels, Rows: rows, H: h, W: w, Scale: scale}
	if err := g.Save(path); err != nil {
		return fmt.Errorf("image grid: %w", err)
	}
	return nil
}

// ReconstructionGrid writes a PNG of up to n single-channel h×w images
// (top row, "original") above their reconstructions (bottom row,
// "reconstruction") under title. x and rec hold the images row-major;
// values are clamped to [0,1].
func ReconstructionGrid(path, title string, x, rec []float32, n, h, w int) error {
	per := h * w
	if per <= 0 || len(x) != len(rec) || len(x)%per != 0 {
		return fmt.Errorf("reconstruction grid %s: %d inputs and %d reconstructions are not %d×%d images", path, len(x), len(rec), h, w)
	}
	n = min(n, len(x)/per)
	if n == 0 {
		return fmt.Errorf("reconstruction grid %s: no images", path)
	}
	return ImageGrid(path, title, []string{"original", "reconstruction"}, [][]float32{x[:n*per], rec[:n*per]}, h, w, 2)
}
