package pngplot

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
)

// Grid is a figure of greyscale images in rows under a title, each row
// named on its left ("original", "reconstruction", "PCA-32", …) so that
// the picture reads without its caption.
type Grid struct {
	Title string
	// Labels name the rows, one per row ("" leaves a row unnamed).
	Labels []string
	// Rows[r] holds the images of row r concatenated, each H×W row-major
	// with values in [0,1] (clamped; NaN draws black). Every row holds the
	// same number of images.
	Rows [][]float32
	H, W int
	// Scale enlarges each pixel to a Scale×Scale block (1 when zero).
	Scale int
}

// GridChart is a rendered Grid: the image and where each tile went.
type GridChart struct {
	Image *image.RGBA
	// Tiles[r][c] is the rectangle image c of row r fills.
	Tiles [][]image.Rectangle
}

var tileGap = color.RGBA{128, 128, 128, 255}

// Render draws the grid.
func (g *Grid) Render() (*GridChart, error) {
	scale := g.Scale
	if scale == 0 {
		scale = 1
	}
	if len(g.Rows) == 0 || g.H <= 0 || g.W <= 0 || scale < 0 {
		return nil, fmt.Errorf("image grid %q: need rows and positive sizes (got %d rows, %d×%d, scale %d)", g.Title, len(g.Rows), g.H, g.W, scale)
	}
	if len(g.Labels) > len(g.Rows) {
		return nil, fmt.Errorf("image grid %q: %d labels for %d rows", g.Title, len(g.Labels), len(g.Rows))
	}
	per := g.H * g.W
	cols := len(g.Rows[0]) / per
	for r, row := range g.Rows {
		if len(row) != cols*per || cols == 0 {
			return nil, fmt.Errorf("image grid %q: row %d holds %d values, want %d images of %d×%d", g.Title, r, len(row), cols, g.H, g.W)
		}
	}
	const gap = 1
	labelW := 0
	for _, l := range g.Labels {
		labelW = max(labelW, textWidth(l))
	}
	left := pad
	if labelW > 0 {
		left += labelW + pad
	}
	top := pad
	if g.Title != "" {
		top += charH + 6
	}
	tw, th := g.W*scale, g.H*scale
	gridW := cols*(tw+gap) + gap
	gridH := len(g.Rows)*(th+gap) + gap
	w := max(left+gridW+pad, textWidth(g.Title)+2*pad+1)
	h := top + gridH + pad
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(left, top, left+gridW, top+gridH), image.NewUniform(tileGap), image.Point{}, draw.Src)
	if g.Title != "" {
		drawText(img, g.Title, pad, pad+ascent, black)
		drawText(img, g.Title, pad+1, pad+ascent, black) // bold by overstrike
	}
	c := &GridChart{Image: img, Tiles: make([][]image.Rectangle, len(g.Rows))}
	for r, row := range g.Rows {
		y0 := top + gap + r*(th+gap)
		if r < len(g.Labels) && g.Labels[r] != "" {
			l := g.Labels[r]
			drawText(img, l, left-pad-textWidth(l), y0+th/2+ascent/2-1, black)
		}
		for col := 0; col < cols; col++ {
			x0 := left + gap + col*(tw+gap)
			c.Tiles[r] = append(c.Tiles[r], image.Rect(x0, y0, x0+tw, y0+th))
			im := row[col*per : (col+1)*per]
			for y := 0; y < g.H; y++ {
				for x := 0; x < g.W; x++ {
					v := float64(im[y*g.W+x])
					if math.IsNaN(v) {
						v = 0
					}
					grey := uint8(math.Round(255 * math.Min(1, math.Max(0, v))))
					px := color.RGBA{grey, grey, grey, 255}
					for dy := 0; dy < scale; dy++ {
						for dx := 0; dx < scale; dx++ {
							img.SetRGBA(x0+x*scale+dx, y0+y*scale+dy, px)
						}
					}
				}
			}
		}
	}
	return c, nil
}

// Save renders the grid and writes it as a PNG file, creating the parent
// directory if needed.
func (g *Grid) Save(path string) error {
	c, err := g.Render()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return WritePNG(path, c.Image)
}
