package pngplot

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func near(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9*math.Max(1, math.Abs(b[i])) {
			return false
		}
	}
	return true
}

func TestTicks(t *testing.T) {
	cases := []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 1, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},         // raw step 0.2
		{0, 1, 4, []float64{0, 0.5, 1}},                        // raw 0.25 → 0.5
		{1, 0, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},         // swapped
		{-3.7, 12.2, 5, []float64{0, 5, 10}},                   // raw 3.18 → 5
		{0.013, 0.087, 4, []float64{0.02, 0.04, 0.06, 0.08}},   // raw 0.0185 → 0.02
		{-1.04, 31.04, 9, []float64{0, 5, 10, 15, 20, 25, 30}}, // raw 3.56 → 5
		{-0.5, 0.5, 2, []float64{-0.5, 0, 0.5}},                // raw 0.5
		{5, 5, 5, nil},
		{0, math.Inf(1), 5, nil},
	}
	for _, c := range cases {
		if got := Ticks(c.lo, c.hi, c.n); !near(got, c.want) {
			t.Errorf("Ticks(%g, %g, %d) = %v, want %v", c.lo, c.hi, c.n, got, c.want)
		}
	}
	for raw, want := range map[float64]float64{0.3: 0.5, 7: 10, 0.02: 0.02, 1.5: 2, 120: 200, 1: 1, 4.9: 5} {
		if got := NiceStep(raw); math.Abs(got-want) > 1e-12*want {
			t.Errorf("NiceStep(%g) = %g, want %g", raw, got, want)
		}
	}
}

func TestLogTicks(t *testing.T) {
	cases := []struct {
		lo, hi float64
		want   []float64
	}{
		{1e-5, 1, []float64{1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1}},
		{0.008, 0.1, []float64{0.01, 0.02, 0.05, 0.1}}, // two decades only: 1-2-5
		{3, 4, []float64{3, 3.2, 3.4, 3.6, 3.8, 4}},    // no 1-2-5 value inside: linear
		{0.59, 1.45, []float64{0.6, 0.8, 1, 1.2, 1.4}}, // one 1-2-5 value only: linear
		{1e-30, 1e10, []float64{1e-30, 1e-25, 1e-20, 1e-15, 1e-10, 1e-5, 1, 1e5, 1e10}},
		{0, 1, nil},
	}
	for _, c := range cases {
		if got := LogTicks(c.lo, c.hi); !near(got, c.want) {
			t.Errorf("LogTicks(%g, %g) = %v, want %v", c.lo, c.hi, got, c.want)
		}
	}
}

func TestFormatTick(t *testing.T) {
	cases := []struct {
		v, step float64
		want    string
	}{
		{0.15, 0.05, "0.15"}, {10, 5, "10"}, {0.5, 0.25, "0.50"}, {1e7, 1e6, "1e+07"}, {0, 0.1, "0"}, {-2, 1, "-2"},
	}
	for _, c := range cases {
		if got := FormatTick(c.v, c.step); got != c.want {
			t.Errorf("FormatTick(%g, %g) = %q, want %q", c.v, c.step, got, c.want)
		}
	}
	if got := FormatLog(0.001); got != "0.001" {
		t.Errorf("FormatLog(0.001) = %q", got)
	}
	if got := FormatLog(1e-5); got != "1e-05" {
		t.Errorf("FormatLog(1e-5) = %q", got)
	}
}

func TestAxisPixel(t *testing.T) {
	a := Axis{Min: 0, Max: 10, P0: 100, P1: 200}
	if got := a.Pixel(2.5); got != 125 {
		t.Errorf("linear Pixel(2.5) = %g, want 125", got)
	}
	y := Axis{Min: -1, Max: 1, P0: 399, P1: 0} // y axis: pixels grow downwards
	if got := y.Pixel(1); got != 0 {
		t.Errorf("y Pixel(max) = %g, want 0", got)
	}
	if got := y.Pixel(0); got != 199.5 {
		t.Errorf("y Pixel(0) = %g, want 199.5", got)
	}
	l := Axis{Min: 1, Max: 100, Log: true, P0: 0, P1: 200}
	if got := l.Pixel(10); math.Abs(got-100) > 1e-9 {
		t.Errorf("log Pixel(10) = %g, want 100", got)
	}
	if !math.IsNaN(l.Pixel(-1)) || !math.IsNaN(a.Pixel(math.NaN())) {
		t.Error("unplaceable values must map to NaN")
	}
}

var red = color.RGBA{255, 0, 0, 255}

func square(lines ...Line) *Plot {
	return &Plot{Width: 300, Height: 300, FixX: true, FixY: true, XMin: 0, XMax: 10, YMin: 0, YMax: 10, Lines: lines}
}

func TestChartMapping(t *testing.T) {
	c, err := square().Render()
	if err != nil {
		t.Fatal(err)
	}
	lo, _ := c.At(0, 0)
	hi, _ := c.At(10, 10)
	if lo != image.Pt(c.Area.Min.X, c.Area.Max.Y-1) || hi != image.Pt(c.Area.Max.X-1, c.Area.Min.Y) {
		t.Errorf("corners map to %v and %v, plot area %v", lo, hi, c.Area)
	}
}

func TestHorizontalLinePixels(t *testing.T) {
	c, err := square(Line{X: []float64{2, 8}, Y: []float64{5, 5}, Color: red}).Render()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.At(2, 5)
	b, _ := c.At(8, 5)
	for x := a.X; x <= b.X; x++ {
		if got := c.Image.RGBAAt(x, a.Y); got != red {
			t.Fatalf("pixel (%d,%d) on the line is %v", x, a.Y, got)
		}
		if c.Image.RGBAAt(x, a.Y-1) == red || c.Image.RGBAAt(x, a.Y+1) == red {
			t.Fatalf("a 1-pixel line coloured a neighbour of (%d,%d)", x, a.Y)
		}
	}
	if c.Image.RGBAAt(a.X-1, a.Y) == red || c.Image.RGBAAt(b.X+1, b.Y) == red {
		t.Error("the line runs past its end points")
	}
}

func TestDiagonalLinePixels(t *testing.T) {
	c, err := square(Line{X: []float64{1, 9}, Y: []float64{2, 7}, Color: red}).Render()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := c.At(1, 2)
	b, _ := c.At(9, 7)
	// Each column between the end points holds exactly one red pixel, on
	// the straight line between them (within half a pixel, as Bresenham).
	for x := a.X; x <= b.X; x++ {
		want := float64(a.Y) + float64(x-a.X)*float64(b.Y-a.Y)/float64(b.X-a.X)
		n := 0
		for y := c.Area.Min.Y; y < c.Area.Max.Y; y++ {
			if c.Image.RGBAAt(x, y) == red {
				n++
				if math.Abs(float64(y)-want) > 0.5+1e-9 {
					t.Fatalf("column %d: red pixel at row %d, line is at %.2f", x, y, want)
				}
			}
		}
		if n != 1 {
			t.Fatalf("column %d holds %d red pixels, want 1", x, n)
		}
	}
}

func TestLineClippedAndDashed(t *testing.T) {
	c, err := square(Line{X: []float64{-1e300, 1e300}, Y: []float64{5, 5}, Color: red, Dashed: true}).Render()
	if err != nil {
		t.Fatal(err)
	}
	y, _ := c.At(0, 5)
	n := 0
	for x := 0; x < c.Image.Rect.Dx(); x++ {
		if c.Image.RGBAAt(x, y.Y) == red {
			if x < c.Area.Min.X || x >= c.Area.Max.X {
				t.Fatalf("pixel %d outside the plot area %v is red", x, c.Area)
			}
			n++
		}
	}
	if w := c.Area.Dx(); n < w/2 || n > w*3/4 {
		t.Errorf("dashed line across %d pixels coloured %d of them, want 6 in every 10", w, n)
	}
}

func TestWidthAndMarkers(t *testing.T) {
	c, err := square(Line{X: []float64{2, 8}, Y: []float64{5, 5}, Color: red, Width: 3, Markers: true}).Render()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := c.At(5, 5)
	for dy := -1; dy <= 1; dy++ {
		if c.Image.RGBAAt(m.X, m.Y+dy) != red {
			t.Errorf("3-pixel line: row %+d is not red", dy)
		}
	}
	if c.Image.RGBAAt(m.X, m.Y+3) == red {
		t.Error("3-pixel line is thicker than 3 pixels mid-segment")
	}
	e, _ := c.At(8, 5)
	if c.Image.RGBAAt(e.X+3, e.Y+2) != red {
		t.Error("no marker disc around the end point")
	}
}

// count returns how many pixels of r have colour c.
func count(img *image.RGBA, r image.Rectangle, c color.RGBA) int {
	n := 0
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				n++
			}
		}
	}
	return n
}

func TestLegendAndTitle(t *testing.T) {
	p := &Plot{
		Title: "Losses", Width: 400, Height: 300, FixX: true, FixY: true, XMax: 10, YMax: 10, Legend: TopRight,
		Lines: []Line{
			{Name: "train", X: []float64{0, 3}, Y: []float64{0, 1}, Color: Color(0), Width: 2},
			{Name: "validation", X: []float64{0, 3}, Y: []float64{1, 2}, Color: Color(1), Width: 2},
		},
	}
	c, err := p.Render()
	if err != nil {
		t.Fatal(err)
	}
	// The data sit in the bottom-left corner: anything in the top-right
	// corner comes from the legend.
	corner := image.Rect(c.Area.Max.X-150, c.Area.Min.Y, c.Area.Max.X, c.Area.Min.Y+50)
	for i := 0; i < 2; i++ {
		if n := count(c.Image, corner, Color(i)); n < 10 {
			t.Errorf("legend sample of series %d: %d pixels of its colour", i, n)
		}
	}
	if n := count(c.Image, corner, black); n < 40 {
		t.Errorf("legend names: %d black pixels", n)
	}
	if n := count(c.Image, image.Rect(0, 0, 400, c.Area.Min.Y-1), black); n < 40 {
		t.Errorf("title: %d black pixels above the plot area", n)
	}
	p.Legend = NoLegend
	c, _ = p.Render()
	if n := count(c.Image, corner, Color(1)); n != 0 {
		t.Errorf("NoLegend still drew %d legend pixels", n)
	}
}

func TestScatterLegendRight(t *testing.T) {
	p := &Plot{Width: 500, Height: 400, Legend: Right}
	for i := 0; i < len(Palette); i++ {
		p.Points = append(p.Points, Points{Name: "class", X: []float64{float64(i)}, Y: []float64{float64(i * i)}, Color: Color(i), Radius: 2})
	}
	c, err := p.Render()
	if err != nil {
		t.Fatal(err)
	}
	legend := image.Rect(c.Area.Max.X+1, 0, 500, 400)
	for i := range Palette {
		if n := count(c.Image, legend, Color(i)); n < 9 {
			t.Errorf("class %d: %d legend pixels of its colour", i, n)
		}
		pt, _ := c.At(float64(i), float64(i*i))
		if c.Image.RGBAAt(pt.X, pt.Y) != Color(i) {
			t.Errorf("class %d: point not drawn at %v", i, pt)
		}
	}
	// The palette colours are distinguishable: far apart in RGB.
	for i := range Palette {
		for j := i + 1; j < len(Palette); j++ {
			a, b := Palette[i], Palette[j]
			d := math.Sqrt(sq(int(a.R)-int(b.R)) + sq(int(a.G)-int(b.G)) + sq(int(a.B)-int(b.B)))
			if d < 60 {
				t.Errorf("palette colours %d and %d are %.0f apart", i, j, d)
			}
		}
	}
}

func sq(v int) float64 { return float64(v * v) }

func TestLogYPlot(t *testing.T) {
	p := &Plot{LogY: true, Lines: []Line{{X: []float64{1, 2, 3}, Y: []float64{1, 0.1, 0.01}, Color: red}}}
	c, err := p.Render()
	if err != nil {
		t.Fatal(err)
	}
	// On a log axis 0.1 lies halfway between 1 and 0.01.
	a, _ := c.At(1, 1)
	m, _ := c.At(2, 0.1)
	b, _ := c.At(3, 0.01)
	if d := m.Y - (a.Y+b.Y)/2; d < -1 || d > 1 {
		t.Errorf("log axis: rows %d, %d, %d are not evenly spaced", a.Y, m.Y, b.Y)
	}
	if c.Image.RGBAAt(m.X, m.Y) != red {
		t.Error("the middle point is not on the line")
	}
}

func TestSavePNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "p.png")
	p := square(Line{Name: "a", X: []float64{0, 10}, Y: []float64{0, 10}, Color: red})
	p.Title, p.XLabel, p.YLabel = "t", "x", "y"
	if err := p.Save(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 300 || b.Dy() != 300 {
		t.Errorf("decoded size %v, want 300×300", b)
	}
}

func TestErrors(t *testing.T) {
	cases := map[string]*Plot{
		"has 2 x and 1 y":      {Lines: []Line{{Name: "l", X: []float64{1, 2}, Y: []float64{1}}}},
		"points 0":             {Points: []Points{{X: []float64{1}}}},
		"no finite":            {Lines: []Line{{X: []float64{1}, Y: []float64{math.NaN()}}}},
		"not positive":         {LogY: true, FixY: true, YMin: 0, YMax: 1, Lines: []Line{{X: []float64{1}, Y: []float64{1}}}},
		"x range":              {FixX: true, XMin: 1, XMax: 1, Lines: []Line{{X: []float64{1}, Y: []float64{1}}}},
		"below 100×100 pixels": {Width: 50, Height: 50},
	}
	for want, p := range cases {
		_, err := p.Render()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one containing %q", err, want)
		}
	}
	// A single point still gets a range.
	if _, err := (&Plot{Lines: []Line{{X: []float64{3}, Y: []float64{0}}}}).Render(); err != nil {
		t.Errorf("single point: %v", err)
	}
}

// An axis of counts (epochs) is labelled at whole numbers only: two epochs
// get 1 and 2, not 1.2, 1.4 …; a long run keeps Ticks' own whole steps.
func TestIntegerXTicks(t *testing.T) {
	line := func(n int) []Line {
		x, y := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i], y[i] = float64(i+1), 1/float64(i+1)
		}
		return []Line{{Name: "train", X: x, Y: y}}
	}
	c, err := (&Plot{XLabel: "epoch", Lines: line(2)}).Render()
	require.NoError(t, err)
	assert.Greater(t, len(c.XTicks), len(IntegerTicks(c.XTicks)), "without IntegerX some ticks are fractional: %v", c.XTicks)
	c, err = (&Plot{XLabel: "epoch", IntegerX: true, Lines: line(2)}).Render()
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 2}, c.XTicks)
	c, err = (&Plot{XLabel: "epoch", IntegerX: true, Lines: line(40)}).Render()
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 5, 10, 15, 20, 25, 30, 35, 40}, c.XTicks)

	assert.Equal(t, []float64{1, 2}, IntegerTicks([]float64{0.8, 1.0000000000000002, 1.2, 1.4, 1.6, 1.8, 2, 2.2}))
	assert.Empty(t, IntegerTicks([]float64{0.25, 0.5, 0.75}))
}
