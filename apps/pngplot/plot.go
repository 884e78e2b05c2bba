package pngplot

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Palette holds ten distinguishable colours for categorical data (series
// or classes); Color(i) cycles through it.
var Palette = [...]color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255},
}

// Color returns palette colour i modulo the palette size (negative i → 0).
func Color(i int) color.RGBA {
	if i < 0 {
		i = 0
	}
	return Palette[i%len(Palette)]
}

// Line is one polyline series. Points whose X or Y is not finite (or not
// positive on a log axis) break the line.
type Line struct {
	Name    string // legend entry; empty = not in the legend
	X, Y    []float64
	Color   color.RGBA
	Width   int  // pixels, 1 when zero
	Markers bool // a filled disc at every point
	Dashed  bool
}

// Points is one scatter series of filled discs.
type Points struct {
	Name   string // legend entry; empty = not in the legend
	X, Y   []float64
	Color  color.RGBA
	Radius int // pixels; 0 draws single pixels
}

// LegendPos says where the legend goes.
type LegendPos int

// Legend positions: inside a corner of the plot area, or outside it on the
// right (the image keeps its size; the plot area shrinks).
const (
	TopRight LegendPos = iota
	TopLeft
	BottomRight
	BottomLeft
	Right
	NoLegend
)

// Plot describes one chart. The zero value of a range means "fit the data
// with a small margin"; set FixX/FixY to use XMin..XMax / YMin..YMax as given.
type Plot struct {
	Title, XLabel, YLabel string
	Width, Height         int // pixels; 640×480 when zero
	XMin, XMax            float64
	YMin, YMax            float64
	FixX, FixY            bool
	LogY                  bool // logarithmic y axis (all plotted y must be > 0); the y label says so
	IntegerX              bool // x counts something (epochs): ticks only at whole numbers
	Lines                 []Line
	Points                []Points
	Legend                LegendPos
}

// Axis maps data values on one axis to pixel coordinates: Min maps to P0
// and Max to P1 (P1 < P0 for a y axis, whose pixels grow downwards).
type Axis struct {
	Min, Max float64
	Log      bool
	P0, P1   float64
}

// Pixel returns the (fractional) pixel coordinate of v; NaN when v cannot
// be placed (not finite, or not positive on a log axis).
func (a Axis) Pixel(v float64) float64 {
	lo, hi := a.Min, a.Max
	if a.Log {
		if !(v > 0) {
			return math.NaN()
		}
		v, lo, hi = math.Log10(v), math.Log10(lo), math.Log10(hi)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return math.NaN()
	}
	return a.P0 + (v-lo)/(hi-lo)*(a.P1-a.P0)
}

// Chart is a rendered plot: the image plus the plot area and the axes that
// map data to its pixels.
type Chart struct {
	Image *image.RGBA
	Area  image.Rectangle // the plot area inside the axes
	X, Y  Axis
	// XTicks and YTicks are the values labelled on the axes.
	XTicks, YTicks []float64
}

// At returns the pixel of the data point (x, y), rounded to the nearest
// pixel, and whether it can be placed.
func (c *Chart) At(x, y float64) (image.Point, bool) {
	px, py := c.X.Pixel(x), c.Y.Pixel(y)
	if math.IsNaN(px) || math.IsNaN(py) {
		return image.Point{}, false
	}
	// Far-off points are pulled in to ±1e6 pixels: lines to them keep
	// (nearly) their direction and the int conversion stays defined.
	px = math.Max(-1e6, math.Min(1e6, px))
	py = math.Max(-1e6, math.Min(1e6, py))
	return image.Pt(int(math.Round(px)), int(math.Round(py))), true
}

var (
	white     = color.RGBA{255, 255, 255, 255}
	black     = color.RGBA{0, 0, 0, 255}
	gridGrey  = color.RGBA{230, 230, 230, 255}
	frameGrey = color.RGBA{60, 60, 60, 255}
	face      = basicfont.Face7x13
)

const (
	charH   = 13 // basicfont line height
	ascent  = 11
	tickLen = 5
	pad     = 8
)

// Render draws the plot and returns the chart.
func (p *Plot) Render() (*Chart, error) {
	w, h := p.Width, p.Height
	if w == 0 {
		w = 640
	}
	if h == 0 {
		h = 480
	}
	if w < 100 || h < 100 {
		return nil, fmt.Errorf("plot %q: size %d×%d is below 100×100 pixels", p.Title, w, h)
	}
	for i, l := range p.Lines {
		if len(l.X) != len(l.Y) {
			return nil, fmt.Errorf("plot %q: line %d (%q) has %d x and %d y values", p.Title, i, l.Name, len(l.X), len(l.Y))
		}
	}
	for i, s := range p.Points {
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("plot %q: points %d (%q) have %d x and %d y values", p.Title, i, s.Name, len(s.X), len(s.Y))
		}
	}
	xr, err := p.xRange()
	if err != nil {
		return nil, err
	}
	yr, err := p.yRange()
	if err != nil {
		return nil, err
	}
	var xt, yt []float64
	xt = Ticks(xr[0], xr[1], max(2, (w-100)/60))
	if p.IntegerX {
		xt = IntegerTicks(xt)
	}
	if p.LogY {
		yt = LogTicks(yr[0], yr[1])
	} else {
		yt = Ticks(yr[0], yr[1], max(2, (h-80)/45))
	}
	ylabel := p.ShownYLabel()
	ylabels := make([]string, len(yt))
	ystep := tickStep(yt)
	wide := 0
	for i, v := range yt {
		if p.LogY {
			ylabels[i] = FormatLog(v)
		} else {
			ylabels[i] = FormatTick(v, ystep)
		}
		wide = max(wide, textWidth(ylabels[i]))
	}

	// Layout: title on top, y label and tick labels on the left, x tick
	// labels and x label at the bottom, optional legend on the right.
	left := pad + wide + tickLen + 4
	if ylabel != "" {
		left += charH + 6
	}
	top := pad
	if p.Title != "" {
		top += charH + 8
	} else {
		top += 4
	}
	bottom := pad + tickLen + charH + 4
	if p.XLabel != "" {
		bottom += charH + 4
	}
	right := pad + textWidth(FormatTick(xr[1], tickStep(xt)))/2 + 2
	entries := p.legendEntries()
	if p.Legend == Right && len(entries) > 0 {
		right = pad + legendWidth(entries) + 6
	}
	area := image.Rect(left, top, w-right, h-bottom)
	if area.Dx() < 20 || area.Dy() < 20 {
		return nil, fmt.Errorf("plot %q: %d×%d pixels leave no room for the plot area", p.Title, w, h)
	}
	c := &Chart{
		Image:  image.NewRGBA(image.Rect(0, 0, w, h)),
		Area:   area,
		X:      Axis{Min: xr[0], Max: xr[1], P0: float64(area.Min.X), P1: float64(area.Max.X - 1)},
		Y:      Axis{Min: yr[0], Max: yr[1], Log: p.LogY, P0: float64(area.Max.Y - 1), P1: float64(area.Min.Y)},
		XTicks: xt, YTicks: yt,
	}
	img := c.Image
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)

	// Grid, ticks and tick labels.
	xstep := tickStep(xt)
	for _, v := range xt {
		px := int(math.Round(c.X.Pixel(v)))
		vline(img, px, area.Min.Y, area.Max.Y-1, gridGrey)
		vline(img, px, area.Max.Y, area.Max.Y+tickLen-1, frameGrey)
		s := FormatTick(v, xstep)
		drawText(img, s, px-textWidth(s)/2, area.Max.Y+tickLen+2+ascent, black)
	}
	for i, v := range yt {
		py := int(math.Round(c.Y.Pixel(v)))
		hline(img, area.Min.X, area.Max.X-1, py, gridGrey)
		hline(img, area.Min.X-tickLen, area.Min.X-1, py, frameGrey)
		drawText(img, ylabels[i], area.Min.X-tickLen-3-textWidth(ylabels[i]), py+ascent/2-1, black)
	}
	// Frame.
	hline(img, area.Min.X-1, area.Max.X, area.Min.Y-1, frameGrey)
	hline(img, area.Min.X-1, area.Max.X, area.Max.Y, frameGrey)
	vline(img, area.Min.X-1, area.Min.Y-1, area.Max.Y, frameGrey)
	vline(img, area.Max.X, area.Min.Y-1, area.Max.Y, frameGrey)

	// Titles.
	if p.Title != "" {
		x := area.Min.X + (area.Dx()-textWidth(p.Title))/2
		x = max(2, x)
		drawText(img, p.Title, x, pad+ascent, black)
		drawText(img, p.Title, x+1, pad+ascent, black) // bold by overstrike
	}
	if p.XLabel != "" {
		drawText(img, p.XLabel, area.Min.X+(area.Dx()-textWidth(p.XLabel))/2, h-pad-2, black)
	}
	if ylabel != "" {
		drawTextUp(img, ylabel, pad, area.Min.Y+(area.Dy()+textWidth(ylabel))/2, black)
	}

	// Data, clipped to the plot area.
	for _, s := range p.Points {
		for i := range s.X {
			if pt, ok := c.At(s.X[i], s.Y[i]); ok {
				disc(img, area, pt, s.Radius, s.Color)
			}
		}
	}
	for _, l := range p.Lines {
		width := max(1, l.Width)
		dash := 0
		var prev image.Point
		have := false
		for i := range l.X {
			pt, ok := c.At(l.X[i], l.Y[i])
			if !ok {
				have = false
				continue
			}
			if have {
				dash = segment(img, area, prev, pt, width, l.Color, l.Dashed, dash)
			}
			prev, have = pt, true
		}
		if l.Markers {
			for i := range l.X {
				if pt, ok := c.At(l.X[i], l.Y[i]); ok {
					disc(img, area, pt, width+1, l.Color)
				}
			}
		}
	}
	if p.Legend != NoLegend && len(entries) > 0 {
		drawLegend(img, area, p.Legend, entries)
	}
	return c, nil
}

// ShownYLabel is the y-axis label as drawn: YLabel, with "(log scale)"
// added on a logarithmic axis whose label does not already say "log" (a
// log axis is read wrongly unless it says so).
func (p *Plot) ShownYLabel() string {
	if p.LogY && !strings.Contains(strings.ToLower(p.YLabel), "log") {
		return strings.TrimSpace(p.YLabel + " (log scale)")
	}
	return p.YLabel
}

// Save renders the plot and writes it as a PNG file, creating the parent
// directory if needed.
func (p *Plot) Save(path string) error {
	c, err := p.Render()
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return WritePNG(path, c.Image)
}

// WritePNG encodes img as PNG into path, creating the parent directory.
func WritePNG(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write png %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write png: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("write png %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write png %s: %w", path, err)
	}
	return nil
}

// FormatLog formats a tick of a logarithmic axis (1e-05, 0.001, 20, 1e+03).
func FormatLog(v float64) string {
	a := math.Abs(v)
	if a != 0 && (a >= 1e4 || a < 1e-3) {
		return fmt.Sprintf("%.0e", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func (p *Plot) xRange() ([2]float64, error) {
	if p.FixX {
		if !(p.XMax > p.XMin) || math.IsInf(p.XMin, 0) || math.IsInf(p.XMax, 0) {
			return [2]float64{}, fmt.Errorf("plot %q: x range [%g, %g] is empty or not finite", p.Title, p.XMin, p.XMax)
		}
		return [2]float64{p.XMin, p.XMax}, nil
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	visit := func(xs, ys []float64) {
		for i, x := range xs {
			if finite(x) && finite(ys[i]) && (!p.LogY || ys[i] > 0) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	for _, l := range p.Lines {
		visit(l.X, l.Y)
	}
	for _, s := range p.Points {
		visit(s.X, s.Y)
	}
	return fit(p.Title, "x", lo, hi, false)
}

func (p *Plot) yRange() ([2]float64, error) {
	if p.FixY {
		if !(p.YMax > p.YMin) || math.IsInf(p.YMin, 0) || math.IsInf(p.YMax, 0) || (p.LogY && !(p.YMin > 0)) {
			return [2]float64{}, fmt.Errorf("plot %q: y range [%g, %g] is empty, not finite or not positive on a log axis", p.Title, p.YMin, p.YMax)
		}
		return [2]float64{p.YMin, p.YMax}, nil
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	visit := func(xs, ys []float64) {
		for i, y := range ys {
			if finite(y) && finite(xs[i]) && (!p.LogY || y > 0) {
				lo, hi = math.Min(lo, y), math.Max(hi, y)
			}
		}
	}
	for _, l := range p.Lines {
		visit(l.X, l.Y)
	}
	for _, s := range p.Points {
		visit(s.X, s.Y)
	}
	return fit(p.Title, "y", lo, hi, p.LogY)
}

// fit widens the data range [lo, hi] by 4% on each side (in log space on a
// log axis) and gives a single value a unit-sized (or ±5%) range.
func fit(title, axis string, lo, hi float64, log bool) ([2]float64, error) {
	if lo > hi {
		return [2]float64{}, fmt.Errorf("plot %q: no finite %s values to plot", title, axis)
	}
	if log {
		l, h := math.Log10(lo), math.Log10(hi)
		m := 0.04 * (h - l)
		if m == 0 {
			m = 0.05
		}
		return [2]float64{math.Pow(10, l-m), math.Pow(10, h+m)}, nil
	}
	m := 0.04 * (hi - lo)
	if m == 0 {
		m = 0.05 * math.Abs(hi)
		if m == 0 {
			m = 1
		}
	}
	return [2]float64{lo - m, hi + m}, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

type legendEntry struct {
	name    string
	color   color.RGBA
	line    bool
	dashed  bool
	markers bool
}

func (p *Plot) legendEntries() []legendEntry {
	var out []legendEntry
	for _, l := range p.Lines {
		if l.Name != "" {
			out = append(out, legendEntry{l.Name, l.Color, true, l.Dashed, l.Markers})
		}
	}
	for _, s := range p.Points {
		if s.Name != "" {
			out = append(out, legendEntry{s.Name, s.Color, false, false, true})
		}
	}
	return out
}

const swatch = 20 // legend sample width

func legendWidth(es []legendEntry) int {
	w := 0
	for _, e := range es {
		w = max(w, textWidth(e.name))
	}
	return w + swatch + 6 + 2*5
}

// drawLegend draws a white box with a sample and the name of each entry.
func drawLegend(img *image.RGBA, area image.Rectangle, pos LegendPos, es []legendEntry) {
	bw := legendWidth(es)
	rowH := charH + 3
	bh := len(es)*rowH + 2*4
	var x0, y0 int
	switch pos {
	case TopLeft:
		x0, y0 = area.Min.X+6, area.Min.Y+6
	case BottomRight:
		x0, y0 = area.Max.X-6-bw, area.Max.Y-6-bh
	case BottomLeft:
		x0, y0 = area.Min.X+6, area.Max.Y-6-bh
	case Right:
		x0, y0 = area.Max.X+8, area.Min.Y
	default:
		x0, y0 = area.Max.X-6-bw, area.Min.Y+6
	}
	box := image.Rect(x0, y0, x0+bw, y0+bh)
	draw.Draw(img, box, image.NewUniform(white), image.Point{}, draw.Src)
	hline(img, box.Min.X, box.Max.X-1, box.Min.Y, frameGrey)
	hline(img, box.Min.X, box.Max.X-1, box.Max.Y-1, frameGrey)
	vline(img, box.Min.X, box.Min.Y, box.Max.Y-1, frameGrey)
	vline(img, box.Max.X-1, box.Min.Y, box.Max.Y-1, frameGrey)
	for i, e := range es {
		cy := y0 + 4 + i*rowH + rowH/2
		sx := x0 + 5
		if e.line {
			segment(img, box, image.Pt(sx, cy), image.Pt(sx+swatch-1, cy), 2, e.color, e.dashed, 0)
		}
		if e.markers {
			disc(img, box, image.Pt(sx+swatch/2, cy), 3, e.color)
		}
		drawText(img, e.name, sx+swatch+6, cy+ascent/2-1, black)
	}
}

func textWidth(s string) int { return font.MeasureString(face, s).Ceil() }

// drawText draws s with its baseline starting at (x, y).
func drawText(img draw.Image, s string, x, y int, c color.RGBA) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// drawTextUp draws s rotated 90° anticlockwise (reading bottom to top)
// with its left edge at column x and its start at row y.
func drawTextUp(img *image.RGBA, s string, x, y int, c color.RGBA) {
	tw := textWidth(s)
	tmp := image.NewAlpha(image.Rect(0, 0, tw, charH))
	d := font.Drawer{Dst: tmp, Src: image.Opaque, Face: face, Dot: fixed.P(0, ascent)}
	d.DrawString(s)
	b := img.Bounds()
	for ty := 0; ty < charH; ty++ {
		for tx := 0; tx < tw; tx++ {
			a := tmp.AlphaAt(tx, ty).A
			if a == 0 {
				continue
			}
			px, py := x+ty, y-tx
			if !image.Pt(px, py).In(b) {
				continue
			}
			img.SetRGBA(px, py, blend(img.RGBAAt(px, py), c, a))
		}
	}
}

func blend(bg, fg color.RGBA, a uint8) color.RGBA {
	f := uint32(a)
	mix := func(b, c uint8) uint8 { return uint8((uint32(b)*(255-f) + uint32(c)*f + 127) / 255) }
	return color.RGBA{mix(bg.R, fg.R), mix(bg.G, fg.G), mix(bg.B, fg.B), 255}
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	for x := x0; x <= x1; x++ {
		if image.Pt(x, y).In(img.Rect) {
			img.SetRGBA(x, y, c)
		}
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	for y := y0; y <= y1; y++ {
		if image.Pt(x, y).In(img.Rect) {
			img.SetRGBA(x, y, c)
		}
	}
}

// disc fills a disc of radius r around pt, clipped to clip.
func disc(img *image.RGBA, clip image.Rectangle, pt image.Point, r int, c color.RGBA) {
	clip = clip.Intersect(img.Rect)
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if dx*dx+dy*dy > r*r+r { // +r rounds the rim
				continue
			}
			q := image.Pt(pt.X+dx, pt.Y+dy)
			if q.In(clip) {
				img.SetRGBA(q.X, q.Y, c)
			}
		}
	}
}

// segment draws a Bresenham line from a to b, width pixels thick (extra
// pixels stacked across the major direction), clipped to clip. With dashed
// it alternates 6 drawn and 4 skipped pixels, continuing the pattern from
// phase; it returns the phase for the next segment.
func segment(img *image.RGBA, clip image.Rectangle, a, b image.Point, width int, c color.RGBA, dashed bool, phase int) int {
	clip = clip.Intersect(img.Rect)
	// Points far outside are clipped first so the loop stays short.
	fa, fb, ok := clipSegment(clip, a, b)
	if !ok {
		return phase
	}
	a, b = fa, fb
	dx, dy := abs(b.X-a.X), -abs(b.Y-a.Y)
	sx, sy := sign(b.X-a.X), sign(b.Y-a.Y)
	steep := -dy > dx
	e := dx + dy
	x, y := a.X, a.Y
	for {
		if !dashed || phase%10 < 6 {
			for k := 0; k < width; k++ {
				off := k - (width-1)/2
				q := image.Pt(x, y+off)
				if steep {
					q = image.Pt(x+off, y)
				}
				if q.In(clip) {
					img.SetRGBA(q.X, q.Y, c)
				}
			}
		}
		phase++
		if x == b.X && y == b.Y {
			break
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x += sx
		}
		if e2 <= dx {
			e += dx
			y += sy
		}
	}
	return phase
}

// clipSegment clips a–b to r (widened by a few pixels so thick lines keep
// their edge) with the Liang–Barsky method, rounding the new end points.
func clipSegment(r image.Rectangle, a, b image.Point) (image.Point, image.Point, bool) {
	const m = 4
	x0, y0 := float64(a.X), float64(a.Y)
	ddx, ddy := float64(b.X-a.X), float64(b.Y-a.Y)
	t0, t1 := 0.0, 1.0
	edges := [4][2]float64{
		{-ddx, x0 - float64(r.Min.X-m)},
		{ddx, float64(r.Max.X-1+m) - x0},
		{-ddy, y0 - float64(r.Min.Y-m)},
		{ddy, float64(r.Max.Y-1+m) - y0},
	}
	for _, pq := range edges {
		p, q := pq[0], pq[1]
		if p == 0 {
			if q < 0 {
				return a, b, false
			}
			continue
		}
		t := q / p
		if p < 0 {
			t0 = math.Max(t0, t)
		} else {
			t1 = math.Min(t1, t)
		}
	}
	if t0 > t1 {
		return a, b, false
	}
	na, nb := a, b
	if t0 > 0 {
		na = image.Pt(int(math.Round(x0+t0*ddx)), int(math.Round(y0+t0*ddy)))
	}
	if t1 < 1 {
		nb = image.Pt(int(math.Round(x0+t1*ddx)), int(math.Round(y0+t1*ddy)))
	}
	return na, nb, true
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
