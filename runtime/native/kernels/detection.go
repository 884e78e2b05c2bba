package kernels

// Detection operators: RoiAlign (average or max of bilinear samples per
// output bin) and NonMaxSuppression (greedy IoU suppression per batch and
// class), following ONNX Runtime's sampling and tie rules.

import (
	"fmt"
	"math"
	"sort"

	"github.com/latent-ml/latent/ops"
	"github.com/latent-ml/latent/runtime/graph"
	"github.com/latent-ml/latent/runtime/operators"
)

func init() {
	operators.Register(operators.Op{Type: "RoiAlign", Inputs: []operators.TypeSet{operators.FloatTypes, operators.FloatTypes, {ops.Int64}}, Infer: inferRoiAlign, Build: buildRoiAlign}, 10, 16, 22)
	operators.Register(operators.Op{Type: "NonMaxSuppression", Infer: inferNMS, Build: buildNMS}, 10, 11)
}

func buildRoiAlign(n *graph.Node, opset int64) (operators.Kernel, error) {
	mode, err := n.String("mode", "avg")
	if err != nil {
		return nil, err
	}
	if mode != "avg" && mode != "max" {
		return nil, fmt.Errorf("node %s: unknown mode %q (want avg or max)", n.Label(), mode)
	}
	oh, err := n.Int("output_height", 1)
	if err != nil {
		return nil, err
	}
	ow, err := n.Int("output_width", 1)
	if err != nil {
		return nil, err
	}
	if oh <= 0 || ow <= 0 || oh > 1<<20 || ow > 1<<20 {
		return nil, fmt.Errorf("node %s: output_height %d and output_width %d must be positive", n.Label(), oh, ow)
	}
	sr, err := n.Int("sampling_ratio", 0)
	if err != nil {
		return nil, err
	}
	if sr < 0 {
		return nil, fmt.Errorf("node %s: sampling_ratio %d must be non-negative", n.Label(), sr)
	}
	scale, err := n.Float("spatial_scale", 1)
	if err != nil {
		return nil, err
	}
	ctm := "output_half_pixel"
	if opset >= 16 {
		if ctm, err = n.String("coordinate_transformation_mode", "half_pixel"); err != nil {
			return nil, err
		}
		if ctm != "half_pixel" && ctm != "output_half_pixel" {
			return nil, fmt.Errorf("node %s: unknown coordinate_transformation_mode %q", n.Label(), ctm)
		}
	}
	halfPixel := ctm == "half_pixel"
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		x, err := floatInput(n, in, 0, "X")
		if err != nil {
			return nil, err
		}
		rois, err := floatInput(n, in, 1, "rois")
		if err != nil {
			return nil, err
		}
		bi, err := requiredInput(n, in, 2, "batch_indices")
		if err != nil {
			return nil, err
		}
		if x.Rank() != 4 {
			return nil, fmt.Errorf("node %s: X must be N×C×H×W, got shape %s", n.Label(), ops.ShapeString(x.Shape))
		}
		if rois.Rank() != 2 || rois.Shape[1] != 4 {
			return nil, fmt.Errorf("node %s: rois must be num_rois×4, got shape %s", n.Label(), ops.ShapeString(rois.Shape))
		}
		nr := rois.Shape[0]
		idx, err := indexValues(n, bi, "batch_indices")
		if err != nil {
			return nil, err
		}
		if len(idx) != nr {
			return nil, fmt.Errorf("node %s: batch_indices has %d values for %d rois", n.Label(), len(idx), nr)
		}
		nb, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		xs, rs := float32s(x), float32s(rois)
		ohi, owi := int(oh), int(ow)
		o := newFloatOutput(env, x.DType, []int{nr, c, ohi, owi})
		off := 0.0
		if halfPixel {
			off = 0.5
		}
		for r := 0; r < nr; r++ {
			b := idx[r]
			if b < 0 || b >= int64(nb) {
				return nil, fmt.Errorf("node %s: batch_indices[%d] = %d outside [0, %d)", n.Label(), r, b, nb)
			}
			sw := float64(rs[r*4])*float64(scale) - off
			sh := float64(rs[r*4+1])*float64(scale) - off
			ew := float64(rs[r*4+2])*float64(scale) - off
			eh := float64(rs[r*4+3])*float64(scale) - off
			rw, rh := ew-sw, eh-sh
			if !halfPixel {
				rw, rh = math.Max(rw, 1), math.Max(rh, 1)
			}
			bh, bw := rh/float64(ohi), rw/float64(owi)
			gh, gw := int(sr), int(sr)
			if sr == 0 {
				gh, gw = int(math.Ceil(rh/float64(ohi))), int(math.Ceil(rw/float64(owi)))
			}
			if gh > 1<<16 || gw > 1<<16 {
				return nil, fmt.Errorf("node %s: roi %d needs %d×%d samples per bin", n.Label(), r, gh, gw)
			}
			count := float64(max(gh*gw, 1))
			for ch := 0; ch < c; ch++ {
				img := xs[(int(b)*c+ch)*h*w : (int(b)*c+ch+1)*h*w]
				for ph := 0; ph < ohi; ph++ {
					for pw := 0; pw < owi; pw++ {
						var acc float64
						first := true
						for iy := 0; iy < gh; iy++ {
							yy := sh + float64(ph)*bh + (float64(iy)+0.5)*bh/float64(gh)
							for ix := 0; ix < gw; ix++ {
								xx := sw + float64(pw)*bw + (float64(ix)+0.5)*bw/float64(gw)
								v, vmax := roiBilinear(img, h, w, yy, xx)
								if mode == "avg" {
									acc += v
								} else if first || vmax > acc {
									acc, first = vmax, false
								}
							}
						}
						if mode == "avg" {
							acc /= count
						}
						o.f[((r*c+ch)*ohi+ph)*owi+pw] = float32(acc)
					}
				}
			}
		}
		return []*ops.Tensor{o.done()}, nil
	}, nil
}

// roiBilinear samples img (h×w) at (y, x) as ONNX Runtime's RoiAlign does:
// 0 outside [−1, h]×[−1, w], edge-clamped inside. It returns the
// interpolated value and the largest of the four weighted corner terms
// (what max mode pools).
func roiBilinear(img []float32, h, w int, y, x float64) (v, vmax float64) {
	if y < -1 || y > float64(h) || x < -1 || x > float64(w) || h == 0 || w == 0 {
		return 0, 0
	}
	y, x = math.Max(y, 0), math.Max(x, 0)
	yl, xl := int(y), int(x)
	yh, xh := yl+1, xl+1
	if yl >= h-1 {
		yl, yh, y = h-1, h-1, float64(h-1)
	}
	if xl >= w-1 {
		xl, xh, x = w-1, w-1, float64(w-1)
	}
	ly, lx := y-float64(yl), x-float64(xl)
	hy, hx := 1-ly, 1-lx
	t1 := hy * hx * float64(img[yl*w+xl])
	t2 := hy * lx * float64(img[yl*w+xh])
	t3 := ly * hx * float64(img[yh*w+xl])
	t4 := ly * lx * float64(img[yh*w+xh])
	return t1 + t2 + t3 + t4, math.Max(math.Max(t1, t2), math.Max(t3, t4))
}

func buildNMS(n *graph.Node, opset int64) (operators.Kernel, error) {
	cpb, err := n.Int("center_point_box", 0)
	if err != nil {
		return nil, err
	}
	if cpb != 0 && cpb != 1 {
		return nil, fmt.Errorf("node %s: center_point_box %d must be 0 or 1", n.Label(), cpb)
	}
	return func(env *operators.Env, in []*ops.Tensor) ([]*ops.Tensor, error) {
		boxes, err := requiredInput(n, in, 0, "boxes")
		if err != nil {
			return nil, err
		}
		scores, err := requiredInput(n, in, 1, "scores")
		if err != nil {
			return nil, err
		}
		for _, t := range []*ops.Tensor{boxes, scores} {
			if err := checkFloat(n, t, "boxes/scores"); err != nil {
				return nil, err
			}
		}
		if boxes.Rank() != 3 || boxes.Shape[2] != 4 || scores.Rank() != 3 ||
			scores.Shape[0] != boxes.Shape[0] || scores.Shape[2] != boxes.Shape[1] {
			return nil, fmt.Errorf("node %s: boxes must be B×N×4 and scores B×C×N, got %s and %s",
				n.Label(), ops.ShapeString(boxes.Shape), ops.ShapeString(scores.Shape))
		}
		maxOut := int64(0)
		if t := optionalInput(in, 2); t != nil && t.Len() > 0 {
			v, err := indexValues(n, t, "max_output_boxes_per_class")
			if err != nil {
				return nil, err
			}
			maxOut = v[0]
		}
		iouTh, scoreTh := 0.0, math.Inf(-1)
		if t := optionalInput(in, 3); t != nil && t.Len() > 0 {
			if err := checkFloat(n, t, "iou_threshold"); err != nil {
				return nil, err
			}
			iouTh = float64(float32s(t)[0])
			if iouTh < 0 || iouTh > 1 {
				return nil, fmt.Errorf("node %s: iou_threshold %v must be in [0, 1]", n.Label(), iouTh)
			}
		}
		if t := optionalInput(in, 4); t != nil && t.Len() > 0 {
			if err := checkFloat(n, t, "score_threshold"); err != nil {
				return nil, err
			}
			scoreTh = float64(float32s(t)[0])
		}
		nb, nc, nbox := scores.Shape[0], scores.Shape[1], scores.Shape[2]
		bx, sc := float32s(boxes), float32s(scores)
		// Corners (y1, x1, y2, x2) with y1 <= y2, x1 <= x2, per box.
		corners := make([][4]float64, nb*nbox)
		for i := range corners {
			b := bx[i*4 : i*4+4]
			var y1, x1, y2, x2 float64
			if cpb == 0 {
				y1, x1, y2, x2 = float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])
				if y1 > y2 {
					y1, y2 = y2, y1
				}
				if x1 > x2 {
					x1, x2 = x2, x1
				}
			} else {
				xc, yc, bw, bh := float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])
				x1, x2, y1, y2 = xc-bw/2, xc+bw/2, yc-bh/2, yc+bh/2
			}
			corners[i] = [4]float64{y1, x1, y2, x2}
		}
		iou := func(a, b [4]float64) float64 {
			areaA := (a[2] - a[0]) * (a[3] - a[1])
			areaB := (b[2] - b[0]) * (b[3] - b[1])
			if areaA <= 0 || areaB <= 0 {
				return 0
			}
			ih := math.Min(a[2], b[2]) - math.Max(a[0], b[0])
			iw := math.Min(a[3], b[3]) - math.Max(a[1], b[1])
			if ih <= 0 || iw <= 0 {
				return 0
			}
			inter := ih * iw
			return inter / (areaA + areaB - inter)
		}
		var sel []int64
		cand := make([]int, 0, nbox)
		for b := 0; b < nb; b++ {
			for c := 0; c < nc; c++ {
				s := sc[(b*nc+c)*nbox : (b*nc+c+1)*nbox]
				cand = cand[:0]
				for i, v := range s {
					if float64(v) > scoreTh {
						cand = append(cand, i)
					}
				}
				sort.SliceStable(cand, func(i, j int) bool { return s[cand[i]] > s[cand[j]] })
				var kept []int
				for _, i := range cand {
					if int64(len(kept)) >= maxOut {
						break
					}
					ok := true
					for _, k := range kept {
						if iou(corners[b*nbox+i], corners[b*nbox+k]) > iouTh {
							ok = false
							break
						}
					}
					if ok {
						kept = append(kept, i)
						sel = append(sel, int64(b), int64(c), int64(i))
					}
				}
			}
		}
		y := env.New(ops.Int64, len(sel)/3, 3)
		copy(y.I64(), sel)
		return []*ops.Tensor{y}, nil
	}, nil
}

// inferRoiAlign: X [N, C, H, W] pooled over rois [R, 4] gives
// [R, C, output_height, output_width].
func inferRoiAlign(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 3); err != nil {
		return nil, err
	}
	x, rois := in[0], in[1]
	oh, err := n.Int("output_height", 1)
	if err != nil {
		return nil, err
	}
	ow, err := n.Int("output_width", 1)
	if err != nil {
		return nil, err
	}
	out := graph.Shape{operators.UnknownDim, operators.UnknownDim, operators.KnownDim(oh), operators.KnownDim(ow)}
	if operators.RankKnown(x) {
		if len(x.Shape) != 4 {
			return nil, fmt.Errorf("X %s must be N×C×H×W", x.Shape)
		}
		out[1] = x.Shape[1]
	}
	if operators.RankKnown(rois) {
		if len(rois.Shape) != 2 {
			return nil, fmt.Errorf("rois %s must be R×4", rois.Shape)
		}
		out[0] = rois.Shape[0]
	}
	return one(ranked(x.DType, out)), nil
}

// inferNMS: int64 [selected, 3] (batch, class, box) rows, selected known
// only when run.
func inferNMS(c *operators.InferContext, n *graph.Node, in []graph.ValueInfo) ([]graph.ValueInfo, error) {
	if err := needInputs(n, in, 2); err != nil {
		return nil, err
	}
	return one(ranked(ops.Int64, graph.Shape{operators.UnknownDim, operators.KnownDim(3)})), nil
}
