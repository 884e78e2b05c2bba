package apps

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
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

// LossPlot writes a PNG of the training (and, when present, validation)
// loss per epoch, on a log scale when the losses are positive.
func LossPlot(path, title string, hist []EpochLoss) error {
	if len(hist) == 0 {
		return errors.New("loss plot: no epochs")
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "loss"
	lo, hi := math.Inf(1), math.Inf(-1)
	var tr, va plotter.XYs
	for _, e := range hist {
		tr = append(tr, plotter.XY{X: float64(e.Epoch), Y: e.Loss})
		lo, hi = math.Min(lo, e.Loss), math.Max(hi, e.Loss)
		if e.ValLoss != nil {
			va = append(va, plotter.XY{X: float64(e.Epoch), Y: *e.ValLoss})
			lo, hi = math.Min(lo, *e.ValLoss), math.Max(hi, *e.ValLoss)
		}
	}
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return errors.New("loss plot: losses are not finite")
	}
	pad := 0.05 * (hi - lo)
	if pad == 0 {
		pad = 0.05*math.Abs(hi) + 1e-12 // a single epoch
	}
	p.Y.Min, p.Y.Max = lo-pad, hi+pad
	if err := addLine(p, "train", tr, 0); err != nil {
		return err
	}
	if len(va) > 0 {
		if err := addLine(p, "validation", va, 1); err != nil {
			return err
		}
	}
	p.Legend.Top = true
	return savePlot(p, path, 6*vg.Inch, 4*vg.Inch)
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

func addLine(p *plot.Plot, name string, xy plotter.XYs, i int) error {
	l, pts, err := plotterLinePoints(xy)
	if err != nil {
		return fmt.Errorf("plot %s: %w", name, err)
	}
	c := palette[i%len(palette)]
	l.Color, pts.Color = c, c
	pts.Shape = draw.CircleGlyph{}
	pts.Radius = vg.Points(1.5)
	p.Add(l, pts)
	p.Legend.Add(name, l)
	return nil
}

func plotterLinePoints(xy plotter.XYs) (*plotter.Line, *plotter.Scatter, error) {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, nil, err
	}
	s, err := plotter.NewScatter(xy)
	if err != nil {
		return nil, nil, err
	}
	return l, s, nil
}

func savePlot(p *plot.Plot, path string, w, h vg.Length) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	if err := p.Save(w, h, path); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}

// palette holds ten distinguishable colours (one per Fashion-MNIST class).
var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255},
}

// ScatterPlot writes a PNG of 2-D points (n×2, row-major) coloured by label,
// with names[label] in the legend.
func ScatterPlot(path, title string, xy []float32, labels []int, names []string) error {
	if len(xy) != 2*len(labels) || len(labels) == 0 {
		return fmt.Errorf("scatter %s: %d coordinates for %d labels (want 2 per label)", path, len(xy), len(labels))
	}
	byClass := map[int]plotter.XYs{}
	maxLabel := 0
	for i, y := range labels {
		if y < 0 {
			return fmt.Errorf("scatter %s: label %d of row %d is negative", path, y, i)
		}
		byClass[y] = append(byClass[y], plotter.XY{X: float64(xy[2*i]), Y: float64(xy[2*i+1])})
		maxLabel = max(maxLabel, y)
	}
	p := plot.New()
	p.Title.Text = title
	for y := 0; y <= maxLabel; y++ {
		pts, ok := byClass[y]
		if !ok {
			continue
		}
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return fmt.Errorf("scatter %s: %w", path, err)
		}
		s.Color = palette[y%len(palette)]
		s.Shape = draw.CircleGlyph{}
		s.Radius = vg.Points(1)
		p.Add(s)
		name := fmt.Sprint(y)
		if y < len(names) {
			name = names[y]
		}
		p.Legend.Add(name, s)
	}
	p.Legend.Top = true
	p.Legend.Left = false
	p.Legend.XOffs = vg.Points(0)
	return savePlot(p, path, 6*vg.Inch, 6*vg.Inch)
}

// ROCPlot writes a PNG of one or more ROC curves with their AUC in the legend.
func ROCPlot(path, title string, names []string, curves [][]ROCPoint, aucs []float64) error {
	if len(names) != len(curves) || len(curves) != len(aucs) || len(curves) == 0 {
		return fmt.Errorf("roc plot %s: %d names, %d curves, %d AUCs", path, len(names), len(curves), len(aucs))
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "false positive rate"
	p.Y.Label.Text = "true positive rate"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	diag, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	diag.Color = color.Gray{Y: 180}
	diag.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
	p.Add(diag)
	for i, c := range curves {
		xy := make(plotter.XYs, len(c))
		for j, pt := range c {
			xy[j] = plotter.XY{X: pt.FPR, Y: pt.TPR}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return fmt.Errorf("roc plot %s: %w", path, err)
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (AUC %.3f)", names[i], aucs[i]), l)
	}
	p.Legend.Top = false
	p.Legend.Left = false
	return savePlot(p, path, 5*vg.Inch, 5*vg.Inch)
}

// ImageGrid writes a PNG of greyscale images laid out in rows: rows[r] holds
// the images of row r concatenated (each h×w, values in [0,1], clamped).
// Every row must hold the same number of images. scale enlarges each pixel
// to a scale×scale block; a one-pixel grey gap separates images.
func ImageGrid(path string, rows [][]float32, h, w, scale int) error {
	if len(rows) == 0 || h <= 0 || w <= 0 || scale <= 0 {
		return fmt.Errorf("image grid %s: need rows and positive sizes (got %d rows, %d×%d, scale %d)", path, len(rows), h, w, scale)
	}
	per := h * w
	cols := len(rows[0]) / per
	for r, row := range rows {
		if len(row) != cols*per || cols == 0 {
			return fmt.Errorf("image grid %s: row %d holds %d values, want %d images of %d×%d", path, r, len(row), cols, h, w)
		}
	}
	gap := 1
	cw, ch := w*scale+gap, h*scale+gap
	img := image.NewGray(image.Rect(0, 0, cols*cw+gap, len(rows)*ch+gap))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	for r, row := range rows {
		for c := 0; c < cols; c++ {
			im := row[c*per : (c+1)*per]
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					v := float64(im[y*w+x])
					if math.IsNaN(v) {
						v = 0
					}
					g := uint8(math.Round(255 * math.Min(1, math.Max(0, v))))
					for dy := 0; dy < scale; dy++ {
						off := (gap+r*ch+y*scale+dy)*img.Stride + gap + c*cw + x*scale
						for dx := 0; dx < scale; dx++ {
							img.Pix[off+dx] = g
						}
					}
				}
			}
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("image grid %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("image grid: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("image grid %s: %w", path, err)
	}
	return f.Close()
}

// ReconstructionGrid writes a PNG of up to n single-channel h×w images
// (top row) above their reconstructions (bottom row). x and rec hold the
// images row-major; values are clamped to [0,1].
func ReconstructionGrid(path string, x, rec []float32, n, h, w int) error {
	per := h * w
	if per <= 0 || len(x) != len(rec) || len(x)%per != 0 {
		return fmt.Errorf("reconstruction grid %s: %d inputs and %d reconstructions are not %d×%d images", path, len(x), len(rec), h, w)
	}
	n = min(n, len(x)/per)
	if n == 0 {
		return fmt.Errorf("reconstruction grid %s: no images", path)
	}
	return ImageGrid(path, [][]float32{x[:n*per], rec[:n*per]}, h, w, 2)
}
