package pngplot

import (
	"image"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGridTilesAndLabels(t *testing.T) {
	// Two rows of two 2×2 images at scale 2.
	g := &Grid{Title: "model on data", Labels: []string{"original", "reconstruction"}, H: 2, W: 2, Scale: 2,
		Rows: [][]float32{{0, 1, 0.5, 2, 1, 1, 1, 1}, {0, 0, 0, 0, -1, 0, 0, float32(math.NaN())}}}
	c, err := g.Render()
	require.NoError(t, err)
	require.Len(t, c.Tiles, 2)
	require.Len(t, c.Tiles[0], 2)
	grey := func(x, y int) uint8 { return c.Image.RGBAAt(x, y).R }
	t00, t01, t10 := c.Tiles[0][0], c.Tiles[0][1], c.Tiles[1][0]
	assert.Equal(t, image.Pt(4, 4), t00.Size(), "2×2 pixels at scale 2")
	assert.Equal(t, t00.Max.X+1, t01.Min.X, "one pixel between images")
	assert.Equal(t, t00.Max.Y+1, t10.Min.Y, "one pixel between rows")
	// Image 0: pixels 0, 1 / 0.5, 2 (clamped to 1), each a 2×2 block.
	assert.Equal(t, uint8(0), grey(t00.Min.X, t00.Min.Y))
	assert.Equal(t, uint8(255), grey(t00.Min.X+3, t00.Min.Y+1))
	assert.Equal(t, uint8(128), grey(t00.Min.X+1, t00.Min.Y+2))
	assert.Equal(t, uint8(255), grey(t00.Min.X+2, t00.Min.Y+3))
	// -1 clamps to 0, NaN draws black.
	t11 := c.Tiles[1][1]
	assert.Equal(t, uint8(0), grey(t11.Min.X, t11.Min.Y))
	assert.Equal(t, uint8(0), grey(t11.Max.X-1, t11.Max.Y-1))
	// The gaps are mid grey.
	assert.Equal(t, uint8(128), grey(t00.Max.X, t00.Min.Y))

	// The labels are drawn left of their rows, the title above the images.
	dark := func(r image.Rectangle) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if grey(x, y) < 100 {
					n++
				}
			}
		}
		return n
	}
	b := c.Image.Bounds()
	assert.Positive(t, dark(image.Rect(0, t00.Min.Y-4, t00.Min.X-2, t00.Max.Y+4)), "label of row 0")
	assert.Positive(t, dark(image.Rect(0, t10.Min.Y-4, t10.Min.X-2, t10.Max.Y+4)), "label of row 1")
	assert.Positive(t, dark(image.Rect(0, 0, b.Max.X, t00.Min.Y-2)), "title")
	// "reconstruction" (14 characters of 7 pixels) sets the label column.
	assert.GreaterOrEqual(t, t00.Min.X, 14*7)

	// Without labels and title the images start at the margin.
	bare := &Grid{H: 2, W: 2, Rows: [][]float32{{0, 0, 0, 0}}}
	cb, err := bare.Render()
	require.NoError(t, err)
	assert.Less(t, cb.Tiles[0][0].Min.X, 14*7)

	_, err = (&Grid{H: 2, W: 2, Rows: [][]float32{{0, 1}}}).Render()
	assert.ErrorContains(t, err, "row 0 holds 2 values")
	_, err = (&Grid{H: 2, W: 2, Labels: []string{"a", "b"}, Rows: [][]float32{{0, 0, 0, 0}}}).Render()
	assert.ErrorContains(t, err, "2 labels for 1 rows")
}

func TestLogAxisSaysSo(t *testing.T) {
	assert.Equal(t, "loss (log scale)", (&Plot{YLabel: "loss", LogY: true}).ShownYLabel())
	assert.Equal(t, "loss", (&Plot{YLabel: "loss"}).ShownYLabel())
	assert.Equal(t, "log10 loss", (&Plot{YLabel: "log10 loss", LogY: true}).ShownYLabel())
	assert.Equal(t, "(log scale)", (&Plot{LogY: true}).ShownYLabel())
}
