package apps

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveAUC counts positive/negative pairs directly (ties count 1/2).
func naiveAUC(s []float64, pos []bool) float64 {
	var num, den float64
	for i := range s {
		for j := range s {
			if pos[i] && !pos[j] {
				den++
				switch {
				case s[i] > s[j]:
					num++
				case s[i] == s[j]:
					num += 0.5
				}
			}
		}
	}
	return num / den
}

func TestROCAUCHandComputed(t *testing.T) {
	// Positives score 0.9, 0.4; negatives 0.5, 0.1: pairs (0.9>0.5, 0.9>0.1,
	// 0.4<0.5, 0.4>0.1) → 3/4.
	auc, err := ROCAUC([]float64{0.9, 0.5, 0.4, 0.1}, []bool{true, false, true, false})
	if err != nil || auc != 0.75 {
		t.Fatalf("auc = %v, %v; want 0.75", auc, err)
	}
	// One tie between a positive and a negative counts half.
	auc, _ = ROCAUC([]float64{1, 1}, []bool{true, false})
	if auc != 0.5 {
		t.Fatalf("tied auc = %v, want 0.5", auc)
	}
	if _, err := ROCAUC([]float64{1, 2}, []bool{true, true}); err == nil {
		t.Fatal("single-class labels accepted")
	}
	if _, err := ROCAUC([]float64{1}, []bool{true, false}); err == nil {
		t.Fatal("length mismatch accepted")
	}
	if _, err := ROCAUC([]float64{math.NaN(), 1}, []bool{true, false}); err == nil {
		t.Fatal("NaN score accepted")
	}
}

func TestROCAUCMatchesPairCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 20; trial++ {
		n := 5 + rng.IntN(200)
		s := make([]float64, n)
		pos := make([]bool, n)
		for i := range s {
			s[i] = float64(rng.IntN(12)) // many ties
			pos[i] = rng.IntN(3) == 0
		}
		pos[0], pos[1] = true, false
		got, err := ROCAUC(s, pos)
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveAUC(s, pos); math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: auc %v, pair count %v", trial, got, want)
		}
		// The trapezoid area under ROCCurve is the same number.
		c, err := ROCCurve(s, pos)
		if err != nil {
			t.Fatal(err)
		}
		var area float64
		for i := 1; i < len(c); i++ {
			area += (c[i].FPR - c[i-1].FPR) * (c[i].TPR + c[i-1].TPR) / 2
		}
		if last := c[len(c)-1]; last.FPR != 1 || last.TPR != 1 {
			t.Fatalf("curve ends at %+v", last)
		}
		if math.Abs(area-got) > 1e-12 {
			t.Fatalf("trial %d: trapezoid area %v, auc %v", trial, area, got)
		}
	}
}

func TestMSEAndPSNR(t *testing.T) {
	a := []float32{0, 0.5, 1, 1}
	b := []float32{0, 0.25, 1, 0.5}
	m, err := MSE(a, b)
	// (0 + 0.0625 + 0 + 0.25)/4 = 0.078125
	if err != nil || m != 0.078125 {
		t.Fatalf("mse = %v, %v", m, err)
	}
	p, err := PSNR(a, b, 1)
	if want := 10 * math.Log10(1/0.078125); err != nil || math.Abs(p-want) > 1e-12 {
		t.Fatalf("psnr = %v, want %v", p, want)
	}
	if p, _ := PSNR(a, a, 1); !math.IsInf(p, 1) {
		t.Fatalf("psnr of identical = %v", p)
	}
	rows, err := RowMSE(a, b, 2)
	if err != nil || rows[0] != 0.03125 || rows[1] != 0.125 {
		t.Fatalf("row mse = %v, %v", rows, err)
	}
	if _, err := MSE(a, b[:3]); err == nil {
		t.Fatal("length mismatch accepted")
	}
	if _, err := PSNR(a, b, 0); err == nil {
		t.Fatal("zero peak accepted")
	}
	if _, err := RowMSE(a, b, 3); err == nil {
		t.Fatal("uneven rows accepted")
	}
}
