package kernels

// ImageDecoder (opset 20): an encoded image (a 1-D uint8 tensor holding the
// file's bytes) to an H×W×3 (RGB or BGR) or H×W×1 (Grayscale) uint8
// tensor. PNG and JPEG through the standard library, BMP through
// golang.org/x/image, binary or plain PNM (P2, P3, P5, P6) here.
//
// The TIFF decoder would cost the static edge binary 53 KB and WebP's and
// GIF's 143 KB together (measured on the -s -w edge build), against its
// 15 MB limit, for formats models rarely take, so they are left out; like JPEG 2000 (which has no Go decoder)
// they are recognised and refused with an error naming the format.
//
// Pixels are exact for PNG, BMP and PNM. JPEG pixels may differ from
// libjpeg's (Pillow, OpenCV, ONNX Runtime) by a few levels: Go's decoder
// uses a different inverse DCT and replicates subsampled chroma where
// libjpeg interpolates it ("fancy upsampling").

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers JPEG
	_ "image/png"  // registers PNG
	"strconv"

	_ "golang.org/x/image/bmp" // registers BMP

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "ImageDecoder", Inputs: []operators.TypeSet{{ops.Uint8}}, Infer: inferImageDecoder, Build: buildImageDecoder}, 20)
}

// pixelFormat is ImageDecoder's pixel_format.
type pixelFormat uint8

const (
	pixelRGB pixelFormat = iota
	pixelBGR
	pixelGray
)

func imagePixelFormat(n *graph.Node) (pixelFormat, error) {
	return enumAttr(n, "pixel_format", "RGB",
		enumChoice[pixelFormat]{"RGB", pixelRGB}, enumChoice[pixelFormat]{"BGR", pixelBGR}, enumChoice[pixelFormat]{"Grayscale", pixelGray})
}

func buildImageDecoder(n *graph.Node, opset int64) (operators.Kernel, error) {
	pf, err := imagePixelFormat(n)
	if err != nil {
		return nil, err
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		t, err := requiredInput(n, in, 0, "encoded_stream")
		if err != nil {
			return nil, err
		}
		if t.DType != ops.Uint8 || t.Rank() != 1 {
			return nil, fmt.Errorf("node %s: encoded_stream must be a 1-D uint8 tensor, got %v%s", n.Label(), t.DType, ops.ShapeString(t.Shape))
		}
		img, err := decodeImage(t.U8())
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Label(), err)
		}
		b := img.Bounds()
		h, w := b.Dy(), b.Dx()
		ch := 3
		if pf == pixelGray {
			ch = 1
		}
		if err := checkElementCount(n, "image", []int{h, w, ch}); err != nil {
			return nil, err
		}
		out := env.New(ops.Uint8, h, w, ch)
		writePixels(img, pf, out.U8())
		return []*ops.Tensor{out}, nil
	}, nil
}

// inferImageDecoder: [H, W, 3] or [H, W, 1] uint8, the sizes known only
// from the data.
func inferImageDecoder(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	pf, err := imagePixelFormat(n)
	if err != nil {
		return nil, err
	}
	out := rankOnly(ops.Uint8, 3)
	out.Shape[2] = operators.KnownDim(3)
	if pf == pixelGray {
		out.Shape[2] = operators.KnownDim(1)
	}
	return one(out), nil
}

// decodeImage decodes an image file of any format ImageDecoder reads.
func decodeImage(data []byte) (image.Image, error) {
	switch {
	case len(data) >= 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '7':
		return decodePNM(data)
	case bytes.HasPrefix(data, []byte("\x00\x00\x00\x0cjP  \r\n\x87\n")), bytes.HasPrefix(data, []byte{0xff, 0x4f, 0xff, 0x51}):
		return nil, errors.New("JPEG 2000 images are not supported (Go has no decoder for them); convert to PNG, BMP or JPEG")
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return nil, errors.New("TIFF images are not supported (left out of the build to keep the edge binary small); convert to PNG, BMP or JPEG")
	case len(data) >= 12 && bytes.HasPrefix(data, []byte("RIFF")) && string(data[8:12]) == "WEBP":
		return nil, errors.New("WebP images are not supported (left out of the build to keep the edge binary small); convert to PNG, BMP or JPEG")
	case bytes.HasPrefix(data, []byte("GIF8")):
		return nil, errors.New("GIF images are not supported (left out of the build to keep the edge binary small); convert to PNG, BMP or JPEG")
	}
	img, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, errors.New("encoded_stream is not an image in a format ImageDecoder reads (PNG, JPEG, BMP, PNM)")
		}
		return nil, fmt.Errorf("decoding the %s image: %w", format, err)
	}
	return img, nil
}

// writePixels writes img as interleaved 8-bit RGB, BGR or luma rows.
// Luma from colour is ITU-R 601 in 16-bit fixed point, rounded
// (0.299R + 0.587G + 0.114B, as Pillow's "L" conversion); a grey image's
// own levels are kept.
func writePixels(img image.Image, pf pixelFormat, dst []uint8) {
	b := img.Bounds()
	i := 0
	gray, isGray := img.(*image.Gray)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if isGray {
				v := gray.GrayAt(x, y).Y
				if pf == pixelGray {
					dst[i] = v
					i++
				} else {
					dst[i], dst[i+1], dst[i+2] = v, v, v
					i += 3
				}
				continue
			}
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			switch pf {
			case pixelRGB:
				dst[i], dst[i+1], dst[i+2] = c.R, c.G, c.B
				i += 3
			case pixelBGR:
				dst[i], dst[i+1], dst[i+2] = c.B, c.G, c.R
				i += 3
			default:
				dst[i] = uint8((19595*uint32(c.R) + 38470*uint32(c.G) + 7471*uint32(c.B) + 1<<15) >> 16)
				i++
			}
		}
	}
}

// decodePNM reads a PGM or PPM image, binary (P5, P6) or plain text (P2,
// P3), of up to 16-bit levels scaled to 8 bits.
func decodePNM(data []byte) (image.Image, error) {
	kind := data[1]
	if kind != '2' && kind != '3' && kind != '5' && kind != '6' {
		return nil, fmt.Errorf("PNM type P%c is not supported (P2, P3, P5 and P6 are)", kind)
	}
	pos := 2
	// token reads the next whitespace-separated number, skipping comments.
	token := func() (int, error) {
		for pos < len(data) {
			switch c := data[pos]; {
			case c == '#':
				for pos < len(data) && data[pos] != '\n' {
					pos++
				}
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
				pos++
			default:
				start := pos
				for pos < len(data) && data[pos] >= '0' && data[pos] <= '9' {
					pos++
				}
				if start == pos {
					return 0, fmt.Errorf("PNM: unexpected byte %q at offset %d", c, pos)
				}
				v, err := strconv.Atoi(string(data[start:pos]))
				if err != nil || v > 1<<30 {
					return 0, fmt.Errorf("PNM: number %q at offset %d out of range", data[start:pos], start)
				}
				return v, nil
			}
		}
		return 0, errors.New("PNM: truncated header")
	}
	var hdr [3]int
	for i := range hdr {
		v, err := token()
		if err != nil {
			return nil, err
		}
		hdr[i] = v
	}
	w, h, maxval := hdr[0], hdr[1], hdr[2]
	if w <= 0 || h <= 0 || maxval <= 0 || maxval > 65535 {
		return nil, fmt.Errorf("PNM: bad size %d×%d or maximum value %d", w, h, maxval)
	}
	ch := 1
	if kind == '3' || kind == '6' {
		ch = 3
	}
	if int64(w)*int64(h)*int64(ch) > maxElements {
		return nil, fmt.Errorf("PNM: %d×%d image too large", w, h)
	}
	n := w * h * ch
	samples := make([]int, n)
	if kind == '5' || kind == '6' {
		pos++ // the single whitespace byte after maxval
		bps := 1
		if maxval > 255 {
			bps = 2
		}
		if len(data)-pos < n*bps {
			return nil, fmt.Errorf("PNM: %d bytes of pixel data, want %d", max(len(data)-pos, 0), n*bps)
		}
		for i := range samples {
			if bps == 1 {
				samples[i] = int(data[pos+i])
			} else {
				samples[i] = int(data[pos+2*i])<<8 | int(data[pos+2*i+1])
			}
		}
	} else {
		for i := range samples {
			v, err := token()
			if err != nil {
				return nil, err
			}
			samples[i] = v
		}
	}
	scale := func(v int) uint8 { return uint8((min(v, maxval)*255 + maxval/2) / maxval) }
	if ch == 1 {
		img := image.NewGray(image.Rect(0, 0, w, h))
		for i, v := range samples {
			img.Pix[i] = scale(v)
		}
		return img, nil
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for p := 0; p < w*h; p++ {
		img.Pix[4*p], img.Pix[4*p+1], img.Pix[4*p+2], img.Pix[4*p+3] = scale(samples[3*p]), scale(samples[3*p+1]), scale(samples[3*p+2]), 255
	}
	return img, nil
}
