package pngplot

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
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
		got := Ticks(c.lo, c.hi, c.n)
		assert.Truef(t, near(got, c.want), "Ticks(%g, %g, %d) = %v, want %v", c.lo, c.hi, c.n, got, c.want)
	}
	for raw, want := range map[float64]float64{0.3: 0.5, 7: 10, 0.02: 0.02, 1.5: 2, 120: 200, 1: 1, 4.9: 5} {
		assert.InDelta(t, want, NiceStep(raw), 1e-12*want, "NiceStep(%g)", raw)
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
		got := LogTicks(c.lo, c.hi)
		assert.Truef(t, near(got, c.want), "LogTicks(%g, %g) = %v, want %v", c.lo, c.hi, got, c.want)
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
		assert.Equal(t, c.want, FormatTick(c.v, c.step), "FormatTick(%g, %g)", c.v, c.step)
	}
	assert.Equal(t, "0.001", FormatLog(0.001), "FormatLog(0.001)")
	assert.Equal(t, "1e-05", FormatLog(1e-5), "FormatLog(1e-5)")
}

func TestAxisPixel(t *testing.T) {
	a := Axis{Min: 0, Max: 10, P0: 100, P1: 200}
	assert.Equal(t, 125.0, a.Pixel(2.5), "linear Pixel(2.5)")
	y := Axis{Min: -1, Max: 1, P0: 399, P1: 0} // y axis: pixels grow downwards
	assert.Equal(t, 0.0, y.Pixel(1), "y Pixel(max)")
	assert.Equal(t, 199.5, y.Pixel(0), "y Pixel(0)")
	l := Axis{Min: 1, Max: 100, Log: true, P0: 0, P1: 200}
	assert.InDelta(t, 100, l.Pixel(10), 1e-9, "log Pixel(10)")
	assert.True(t, math.IsNaN(l.Pixel(-1)), "unplaceable values must map to NaN: log Pixel(-1) = %g", l.Pixel(-1))
	assert.True(t, math.IsNaN(a.Pixel(math.NaN())), "unplaceable values must map to NaN: Pixel(NaN) = %g", a.Pixel(math.NaN()))
}

var red = color.RGBA{255, 0, 0, 255}

func square(lines ...Line) *Plot {
	return &Plot{Width: 300, Height: 300, FixX: true, FixY: true, XMin: 0, XMax: 10, YMin: 0, YMax: 10, Lines: lines}
}

func TestChartMapping(t *testing.T) {
	c, err := square().Render()
	require.NoError(t, err)
	lo, _ := c.At(0, 0)
	hi, _ := c.At(10, 10)
	assert.Equal(t, image.Pt(c.Area.Min.X, c.Area.Max.Y-1), lo, "corner (0,0), plot area %v", c.Area)
	assert.Equal(t, image.Pt(c.Area.Max.X-1, c.Area.Min.Y), hi, "corner (10,10), plot area %v", c.Area)
}

func TestHorizontalLinePixels(t *testing.T) {
	c, err := square(Line{X: []float64{2, 8}, Y: []float64{5, 5}, Color: red}).Render()
	require.NoError(t, err)
	a, _ := c.At(2, 5)
	b, _ := c.At(8, 5)
	for x := a.X; x <= b.X; x++ {
		require.Equal(t, red, c.Image.RGBAAt(x, a.Y), "pixel (%d,%d) on the line", x, a.Y)
		require.NotEqual(t, red, c.Image.RGBAAt(x, a.Y-1), "a 1-pixel line coloured the neighbour above (%d,%d)", x, a.Y)
		require.NotEqual(t, red, c.Image.RGBAAt(x, a.Y+1), "a 1-pixel line coloured the neighbour below (%d,%d)", x, a.Y)
	}
	assert.NotEqual(t, red, c.Image.RGBAAt(a.X-1, a.Y), "the line runs past its start point")
	assert.NotEqual(t, red, c.Image.RGBAAt(b.X+1, b.Y), "the line runs past its end point")
}

func TestDiagonalLinePixels(t *testing.T) {
	c, err := square(Line{X: []float64{1, 9}, Y: []float64{2, 7}, Color: red}).Render()
	require.NoError(t, err)
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
				require.InDelta(t, want, float64(y), 0.5+1e-9, "column %d: red pixel at row %d, line is at %.2f", x, y, want)
			}
		}
		require.Equal(t, 1, n, "column %d: red pixels", x)
	}
}

func TestLineClippedAndDashed(t *testing.T) {
	c, err := square(Line{X: []float64{-1e300, 1e300}, Y: []float64{5, 5}, Color: red, Dashed: true}).Render()
	require.NoError(t, err)
	y, _ := c.At(0, 5)
	n := 0
	for x := 0; x < c.Image.Rect.Dx(); x++ {
		if c.Image.RGBAAt(x, y.Y) == red {
			require.Truef(t, x >= c.Area.Min.X && x < c.Area.Max.X, "pixel %d outside the plot area %v is red", x, c.Area)
			n++
		}
	}
	w := c.Area.Dx()
	assert.GreaterOrEqual(t, n, w/2, "dashed line across %d pixels: coloured pixels, want 6 in every 10", w)
	assert.LessOrEqual(t, n, w*3/4, "dashed line across %d pixels: coloured pixels, want 6 in every 10", w)
}

func TestWidthAndMarkers(t *testing.T) {
	c, err := square(Line{X: []float64{2, 8}, Y: []float64{5, 5}, Color: red, Width: 3, Markers: true}).Render()
	require.NoError(t, err)
	m, _ := c.At(5, 5)
	for dy := -1; dy <= 1; dy++ {
		assert.Equal(t, red, c.Image.RGBAAt(m.X, m.Y+dy), "3-pixel line: row %+d is not red", dy)
	}
	assert.NotEqual(t, red, c.Image.RGBAAt(m.X, m.Y+3), "3-pixel line is thicker than 3 pixels mid-segment")
	e, _ := c.At(8, 5)
	assert.Equal(t, red, c.Image.RGBAAt(e.X+3, e.Y+2), "no marker disc around the end point")
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
	require.NoError(t, err)
	// The data sit in the bottom-left corner: anything in the top-right
	// corner comes from the legend.
	corner := image.Rect(c.Area.Max.X-150, c.Area.Min.Y, c.Area.Max.X, c.Area.Min.Y+50)
	for i := 0; i < 2; i++ {
		assert.GreaterOrEqual(t, count(c.Image, corner, Color(i)), 10, "legend sample of series %d: pixels of its colour", i)
	}
	assert.GreaterOrEqual(t, count(c.Image, corner, black), 40, "legend names: black pixels")
	assert.GreaterOrEqual(t, count(c.Image, image.Rect(0, 0, 400, c.Area.Min.Y-1), black), 40, "title: black pixels above the plot area")
	p.Legend = NoLegend
	c, _ = p.Render()
	assert.Zero(t, count(c.Image, corner, Color(1)), "NoLegend still drew legend pixels")
}

func TestScatterLegendRight(t *testing.T) {
	p := &Plot{Width: 500, Height: 400, Legend: Right}
	for i := 0; i < len(Palette); i++ {
		p.Points = append(p.Points, Points{Name: "class", X: []float64{float64(i)}, Y: []float64{float64(i * i)}, Color: Color(i), Radius: 2})
	}
	c, err := p.Render()
	require.NoError(t, err)
	legend := image.Rect(c.Area.Max.X+1, 0, 500, 400)
	for i := range Palette {
		assert.GreaterOrEqual(t, count(c.Image, legend, Color(i)), 9, "class %d: legend pixels of its colour", i)
		pt, _ := c.At(float64(i), float64(i*i))
		assert.Equal(t, Color(i), c.Image.RGBAAt(pt.X, pt.Y), "class %d: point not drawn at %v", i, pt)
	}
	// The palette colours are distinguishable: far apart in RGB.
	for i := range Palette {
		for j := i + 1; j < len(Palette); j++ {
			a, b := Palette[i], Palette[j]
			d := math.Sqrt(sq(int(a.R)-int(b.R)) + sq(int(a.G)-int(b.G)) + sq(int(a.B)-int(b.B)))
			assert.GreaterOrEqual(t, d, 60.0, "palette colours %d and %d: distance in RGB", i, j)
		}
	}
}

func sq(v int) float64 { return float64(v * v) }

func TestLogYPlot(t *testing.T) {
	p := &Plot{LogY: true, Lines: []Line{{X: []float64{1, 2, 3}, Y: []float64{1, 0.1, 0.01}, Color: red}}}
	c, err := p.Render()
	require.NoError(t, err)
	// On a log axis 0.1 lies halfway between 1 and 0.01.
	a, _ := c.At(1, 1)
	m, _ := c.At(2, 0.1)
	b, _ := c.At(3, 0.01)
	assert.InDelta(t, (a.Y+b.Y)/2, m.Y, 1, "log axis: rows %d, %d, %d are not evenly spaced", a.Y, m.Y, b.Y)
	assert.Equal(t, red, c.Image.RGBAAt(m.X, m.Y), "the middle point is not on the line")
}

func TestSavePNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "p.png")
	p := square(Line{Name: "a", X: []float64{0, 10}, Y: []float64{0, 10}, Color: red})
	p.Title, p.XLabel, p.YLabel = "t", "x", "y"
	require.NoError(t, p.Save(path))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, image.Pt(300, 300), img.Bounds().Size(), "decoded size of %v", img.Bounds())
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
		assert.ErrorContains(t, err, want)
	}
	// A single point still gets a range.
	_, err := (&Plot{Lines: []Line{{X: []float64{3}, Y: []float64{0}}}}).Render()
	assert.NoError(t, err, "single point")
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
