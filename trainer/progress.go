package trainer

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress renders training progress: on a terminal (live) a single
// rewritten line with a bar and ETA, otherwise one plain line per epoch.
type progress struct {
	w      io.Writer
	live   bool
	epochs int
	start  time.Time
	last   time.Time
	epoch0 int
	began  bool
}

func (p *progress) batchDone(epoch, done, total int, loss float64) {
	if p.w == nil || !p.live {
		return
	}
	now := time.Now()
	if !p.began {
		p.began, p.start, p.epoch0 = true, now, epoch
	}
	if now.Sub(p.last) < 100*time.Millisecond && done < total {
		return
	}
	p.last = now
	frac := (float64(epoch-p.epoch0) + float64(done)/float64(total)) / float64(max(p.epochs-p.epoch0, 1))
	eta := "?"
	if frac > 0 {
		rem := time.Duration(float64(now.Sub(p.start)) * (1 - frac) / frac)
		eta = rem.Round(time.Second).String()
	}
	const width = 24
	fill := min(int(float64(width)*float64(done)/float64(total)), width)
	fmt.Fprintf(p.w, "\repoch %d/%d [%s%s] %3.0f%% loss %.5g ETA %s   ", epoch+1, p.epochs,
		strings.Repeat("=", fill), strings.Repeat(" ", width-fill), 100*float64(done)/float64(total), loss, eta)
}

func (p *progress) epochDone(em EpochMetrics) {
	if p.w == nil {
		return
	}
	s := fmt.Sprintf("epoch %d/%d loss %.6g recon %.6g", em.Epoch, p.epochs, em.Loss, em.ReconLoss)
	if em.KL != nil {
		s += fmt.Sprintf(" kl %.6g (weight %.3g)", *em.KL, *em.KLWeight)
	} else if em.RegLoss != 0 {
		s += fmt.Sprintf(" reg %.6g", em.RegLoss)
	}
	if em.ValLoss != nil {
		s += fmt.Sprintf(" val %.6g", *em.ValLoss)
	}
	if em.ValRMSE != nil {
		s += fmt.Sprintf(" val_rmse %.4g", *em.ValRMSE)
	}
	s += fmt.Sprintf(" lr %.3g %.2fs %.0f samples/s", em.LR, em.Seconds, em.SamplesPerS)
	p.line(s)
}

func (p *progress) line(s string) {
	if p.w == nil {
		return
	}
	if p.live {
		fmt.Fprintf(p.w, "\r\033[K%s\n", s)
		return
	}
	fmt.Fprintln(p.w, s)
}
