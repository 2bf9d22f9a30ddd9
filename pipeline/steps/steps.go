package steps

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime/pprof"
	"time"
)

// Timing is how long one step of the run took.
type Timing struct {
	Step     string
	Duration time.Duration
}

// Timer records the duration of each step of a run, one after another, and labels the goroutine
// running them, and the goroutines it starts, with the step it is in (step=read, group, kpi,
// write), so that a CPU profile of a run splits by step: go tool pprof -tagfocus step=group.
// It is not safe for concurrent use.
type Timer struct {
	// Steps are the steps done, in order.
	Steps []Timing
	ctx   context.Context
	last  time.Time
	log   *slog.Logger
	out   io.Writer
}

// Start starts timing the first step; log gets a line per step, out (when not nil) a line of
// progress. Stop takes the label off.
func Start(ctx context.Context, first string, log *slog.Logger, out io.Writer) *Timer {
	t := &Timer{ctx: ctx, last: time.Now(), log: log, out: out}
	t.Label(first)
	return t
}

// Label labels the calling goroutine, and those it starts from now on, with step.
func (t *Timer) Label(step string) {
	pprof.SetGoroutineLabels(pprof.WithLabels(t.ctx, pprof.Labels("step", step)))
}

// Stop gives the calling goroutine back the labels it had before Start.
func (t *Timer) Stop() { pprof.SetGoroutineLabels(t.ctx) }

// Done records the end of step, which began when the previous one was done, and logs it with
// attrs (key, value pairs).
func (t *Timer) Done(step string, attrs ...any) {
	now := time.Now()
	d := now.Sub(t.last)
	t.last = now
	t.Steps = append(t.Steps, Timing{Step: step, Duration: d})
	t.log.Info(step, append(attrs, "seconds", d.Seconds())...)
	if t.out != nil {
		fmt.Fprintf(t.out, "  %-10s %6.2fs", step, d.Seconds())
		for i := 0; i+1 < len(attrs); i += 2 {
			fmt.Fprintf(t.out, "  %v=%v", attrs[i], attrs[i+1])
		}
		fmt.Fprintln(t.out)
	}
}
