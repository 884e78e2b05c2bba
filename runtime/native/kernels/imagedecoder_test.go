package kernels

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/latent-ml/latent/ops"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/image/bmp"
)

// testPicture is a 3×2 image of known colours: red, green, blue / white,
// grey 128, black.
func testPicture() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i, c := range []color.NRGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 255, 255}, {128, 128, 128, 255}, {0, 0, 0, 255}} {
		img.SetNRGBA(i%3, i/3, c)
	}
	return img
}

func bytesTensor(shape []int, b []byte) *ops.Tensor {
	return &ops.Tensor{DType: ops.Uint8, Shape: shape, Data: append([]uint8(nil), b...)}
}

func decodeOp(t *testing.T, data []byte, format string) *ops.Tensor {
	t.Helper()
	return runOp(t, "ImageDecoder", 20, []*ops.Tensor{bytesTensor([]int{len(data)}, data)}, "pixel_format", format)[0]
}

func TestImageDecoderLossless(t *testing.T) {
	rgb := []uint8{255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 128, 128, 128, 0, 0, 0}
	bgr := []uint8{0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 128, 128, 128, 0, 0, 0}
	// Luma 0.299R + 0.587G + 0.114B, rounded: 76, 150, 29, 255, 128, 0.
	gray := []uint8{76, 150, 29, 255, 128, 0}
	var pngBuf, bmpBuf bytes.Buffer
	require.NoError(t, png.Encode(&pngBuf, testPicture()))
	require.NoError(t, bmp.Encode(&bmpBuf, testPicture()))
	ppm := append([]byte("P6\n# a comment\n3 2\n255\n"), rgb...)
	plain := []byte("P3 3 2 15\n15 0 0  0 15 0  0 0 15\n15 15 15  8 8 8  0 0 0\n") // 8/15 of 255 is 136
	for name, data := range map[string][]byte{"png": pngBuf.Bytes(), "bmp": bmpBuf.Bytes(), "ppm": ppm} {
		out := decodeOp(t, data, "RGB")
		require.Equal(t, []int{2, 3, 3}, out.Shape, name)
		assert.Equal(t, rgb, out.U8(), name)
		assert.Equal(t, bgr, decodeOp(t, data, "BGR").U8(), name)
		g := decodeOp(t, data, "Grayscale")
		require.Equal(t, []int{2, 3, 1}, g.Shape, name)
		assert.Equal(t, gray, g.U8(), name)
	}
	assert.Equal(t, []uint8{255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 136, 136, 136, 0, 0, 0}, decodeOp(t, plain, "RGB").U8())
	// A PGM is grey already: its levels are kept, replicated for RGB.
	pgm := []byte("P5 2 1 255\n\x07\xf0")
	assert.Equal(t, []uint8{7, 240}, decodeOp(t, pgm, "Grayscale").U8())
	assert.Equal(t, []uint8{7, 7, 7, 240, 240, 240}, decodeOp(t, pgm, "RGB").U8())
}

func TestImageDecoderJPEG(t *testing.T) {
	// Flat 8×8 blocks survive JPEG at quality 100 to within a few levels.
	img := image.NewNRGBA(image.Rect(0, 0, 16, 8))
	for y := 0; y < 8; y++ {
		for x := 0; x < 16; x++ {
			c := color.NRGBA{200, 40, 90, 255}
			if x >= 8 {
				c = color.NRGBA{10, 180, 240, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}))
	out := decodeOp(t, buf.Bytes(), "RGB")
	require.Equal(t, []int{8, 16, 3}, out.Shape)
	for i, v := range out.U8() {
		p := i / 3
		want := [2][3]int{{200, 40, 90}, {10, 180, 240}}[(p%16)/8][i%3]
		if !assert.InDelta(t, want, int(v), 4, "pixel %d channel %d", p, i%3) {
			break
		}
	}
}

func TestImageDecoderErrors(t *testing.T) {
	for name, c := range map[string]struct {
		in   *ops.Tensor
		kv   []any
		want string
	}{
		"tiff":          {bytesTensor([]int{8}, []byte("II*\x00\x08\x00\x00\x00")), nil, "TIFF images are not supported"},
		"jpeg 2000":     {bytesTensor([]int{12}, []byte("\x00\x00\x00\x0cjP  \r\n\x87\n")), nil, "JPEG 2000"},
		"garbage":       {bytesTensor([]int{4}, []byte("abcd")), nil, "not an image in a format"},
		"truncated png": {bytesTensor([]int{8}, []byte("\x89PNG\r\n\x1a\n")), nil, "decoding the png image"},
		"short ppm":     {bytesTensor([]int{12}, []byte("P6 2 2 255\nx")), nil, "bytes of pixel data"},
		"bad ppm size":  {bytesTensor([]int{10}, []byte("P6 0 2 255")), nil, "bad size"},
		"not bytes":     {ops.FromInt64([]int{1}, []int64{1}), nil, "1-D uint8"},
		"bad format":    {bytesTensor([]int{1}, []byte{0}), []any{"pixel_format", "CMYK"}, "unknown pixel_format"},
	} {
		_, err := runOpErr("ImageDecoder", 20, []*ops.Tensor{c.in}, c.kv...)
		if assert.Error(t, err, name) {
			assert.Contains(t, err.Error(), c.want, name)
		}
	}
}
