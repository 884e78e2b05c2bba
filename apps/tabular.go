package apps

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/latent-ml/latent/data"
	"github.com/latent-ml/latent/models"
)

// BreastCancerCSV is the Wisconsin diagnostic breast cancer table (569
// rows, 30 features, label 0 malignant / 1 benign) as shipped by Debian's
// python3-sklearn.
const BreastCancerCSV = "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv"

// LoadLabelledCSV reads a comma-separated table of numbers whose last
// column is an integer class label. Lines before the first all-numeric line
// with the table's width (headers, sklearn's "n,d,names" line) are skipped;
// the rest is read by the data package's CSV reader.
func LoadLabelledCSV(path string) (x []float32, labels []int, d int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("labelled csv: %w", err)
	}
	lines := strings.Split(string(b), "\n")
	// The table's width from its second line (the first may be a header
	// or sklearn's "n,d,names"), or from the first when it is alone.
	width := 0
	for _, from := range []int{min(1, len(lines)), 0} {
		for _, l := range lines[from:] {
			if l = strings.TrimSpace(l); l != "" {
				width = len(strings.Split(l, ","))
				break
			}
		}
		if width > 0 {
			break
		}
	}
	if width < 2 {
		return nil, nil, 0, fmt.Errorf("labelled csv %s: need at least one feature and a label column", path)
	}
	// Blank the preamble (keeping line numbers for errors).
	for i, l := range lines {
		if numericRow(l, width) {
			break
		}
		lines[i] = ""
	}
	t, err := data.ReadCSV(strings.NewReader(strings.Join(lines, "\n")), "labelled csv "+path, data.CSVOptions{Comma: ','})
	if err != nil {
		return nil, nil, 0, err
	}
	d = width - 1
	for r := 0; r < t.N; r++ {
		row := t.Row(r)
		y := float64(row[d])
		if y != float64(int(y)) || y < 0 {
			return nil, nil, 0, fmt.Errorf("labelled csv %s: row %d: label %v is not a non-negative integer", path, r+1, y)
		}
		x = append(x, row[:d]...)
		labels = append(labels, int(y))
	}
	return x, labels, d, nil
}

// numericRow reports whether line holds width comma-separated numbers.
func numericRow(line string, width int) bool {
	f := strings.Split(strings.TrimSpace(line), ",")
	if len(f) != width {
		return false
	}
	for _, c := range f {
		if _, err := strconv.ParseFloat(strings.TrimSpace(c), 32); err != nil {
			return false
		}
	}
	return true
}

// TabularAnomaly splits a labelled table into normal rows (label normal:
// 60% training, 20% validation for threshold calibration, 20% test) and
// anomalies (all test), writes them as normal-train.csv, normal-val.csv,
// test.csv and test-labels.csv (1 = anomaly; features standardised with
// the normal training rows' statistics) into dir for the latent
// train / calibrate / score commands, trains a deep autoencoder
// (standard scaling) on the normal rows and reports the test ROC-AUC of its
// reconstruction error next to PCA's; writes roc.png.
func TabularAnomaly(ctx context.Context, dir string, x []float32, labels []int, d, normal, code int, o TrainOptions) (*AnomalyResult, error) {
	var norm, anom []int
	for i, y := range labels {
		if y == normal {
			norm = append(norm, i)
		} else {
			anom = append(anom, i)
		}
	}
	if len(norm) < 10 || len(anom) == 0 {
		return nil, fmt.Errorf("tabular anomaly: %d normal rows (label %d) and %d others; need at least 10 and 1", len(norm), normal, len(anom))
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0xa11))
	rng.Shuffle(len(norm), func(i, j int) { norm[i], norm[j] = norm[j], norm[i] })
	nTr, nVa := len(norm)*6/10, len(norm)*2/10
	trRows, vaRows := norm[:nTr], norm[nTr:nTr+nVa]
	teRows := append(append([]int(nil), norm[nTr+nVa:]...), anom...)
	pick := func(rows []int) []float32 {
		out := make([]float32, 0, len(rows)*d)
		for _, r := range rows {
			out = append(out, x[r*d:(r+1)*d]...)
		}
		return out
	}
	// Standardise every feature with the normal training rows' mean and
	// deviation, so that reconstruction errors (latent score's raw units)
	// weigh features alike.
	st, err := data.Fit(data.Standard, &data.Dataset{N: len(trRows), D: d, X: pick(trRows), Source: "normal rows"})
	if err != nil {
		return nil, fmt.Errorf("tabular anomaly: %w", err)
	}
	xs := make([]float32, len(x))
	for r := 0; r < len(labels); r++ {
		st.Transform(xs[r*d:(r+1)*d], x[r*d:(r+1)*d])
	}
	x = xs
	trX, vaX, teX := pick(trRows), pick(vaRows), pick(teRows)
	pos := make([]bool, len(teRows))
	lab := make([]float32, len(teRows))
	for i, r := range teRows {
		pos[i] = labels[r] != normal
		if pos[i] {
			lab[i] = 1
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tabular anomaly: %w", err)
	}
	for _, f := range []struct {
		name string
		v    []float32
		cols int
	}{{"normal-train.csv", trX, d}, {"normal-val.csv", vaX, d}, {"test.csv", teX, d}, {"test-labels.csv", lab, 1}} {
		if err := writeCSV(filepath.Join(dir, f.name), f.v, f.cols); err != nil {
			return nil, err
		}
	}
	if code <= 0 {
		code = max(2, d/4)
	}
	spec := models.NewDeep(d, []int{max(code+1, d)}, code)
	spec.OutputActivation = models.Identity
	o.Scaling = data.Standard
	ds := &data.Dataset{N: nTr, D: d, X: trX, Source: "normal-train.csv"}
	_, paths, err := TrainRun(ctx, dir, fmt.Sprintf("the normal rows (label %d)", normal), spec, ds, o)
	if err != nil {
		return nil, err
	}
	r := &AnomalyResult{Normal: fmt.Sprintf("label %d", normal), TrainRows: nTr, TestNormal: len(teRows) - len(anom),
		Test: len(teRows), Model: paths.Model}
	if err := scoreBoth(ctx, r, dir, paths.Model, teX, trX, nTr, teX, len(teRows), code, pos); err != nil {
		return nil, err
	}
	return r, nil
}

// writeCSV writes rows of cols values with the data package's CSV writer.
func writeCSV(path string, v []float32, cols int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	if err := data.WriteCSV(f, &data.Dataset{N: len(v) / cols, D: cols, X: v}); err != nil {
		f.Close()
		return fmt.Errorf("write csv %s: %w", path, err)
	}
	return f.Close()
}
