package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/custreg/custreg/db"
)

// progressEvery is how often plain progress lines are written when standard error is not a
// terminal; work that ends sooner writes none.
var progressEvery = 5 * time.Second

// isTerminal reports whether w is a terminal a progress bar can redraw.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// reporter is a db.Progress for a command: Done ends its output once the work returned.
type reporter interface {
	db.Progress
	Done()
}

// newProgress follows long work on w (standard error, so standard output keeps the result): a
// bar with count, rate and time left on a terminal, otherwise a plain line every progressEvery.
func newProgress(w io.Writer, label, unit string) reporter {
	if isTerminal(w) {
		return &barProgress{w: w, label: label, unit: unit}
	}
	return &lineProgress{w: w, label: label, unit: unit, now: time.Now}
}

type barProgress struct {
	w           io.Writer
	label, unit string
	bar         *progressbar.ProgressBar
}

func (p *barProgress) Total(n int) {
	p.bar = progressbar.NewOptions(n, progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription(p.label),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(p.unit),
		progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish())
}

func (p *barProgress) Add(n int) {
	if p.bar != nil {
		_ = p.bar.Add(n)
	}
}

func (p *barProgress) Done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// lineProgress writes "label: done/total unit (pct), rate unit/s, about T left" lines, and a
// closing line if it wrote any.
type lineProgress struct {
	w            io.Writer
	label, unit  string
	now          func() time.Time
	total, done  int
	start, last  time.Time
	wroteAnyLine bool
}

func (p *lineProgress) Total(n int) {
	p.total = n
	p.start = p.now()
	p.last = p.start
}

func (p *lineProgress) Add(n int) {
	p.done += n
	now := p.now()
	if now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	p.wroteAnyLine = true
	elapsed := now.Sub(p.start)
	rate := float64(p.done) / max(elapsed.Seconds(), 1e-9)
	line := fmt.Sprintf("%s: %d/%d %s", p.label, p.done, p.total, p.unit)
	if p.total > 0 {
		line += fmt.Sprintf(" (%d%%)", p.done*100/p.total)
	}
	line += fmt.Sprintf(", %.0f %s/s", rate, p.unit)
	if left := p.total - p.done; left > 0 && rate > 0 {
		line += ", about " + (time.Duration(float64(left) / rate * float64(time.Second))).Round(time.Second).String() + " left"
	}
	fmt.Fprintln(p.w, line)
}

func (p *lineProgress) Done() {
	if p.wroteAnyLine {
		fmt.Fprintf(p.w, "%s: %d %s in %s\n", p.label, p.done, p.unit, p.now().Sub(p.start).Round(time.Millisecond))
	}
}
