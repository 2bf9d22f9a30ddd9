package pipeline

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
)

// hangUpSource emits its rows, then behaves as a remote stream does when its context ends: it
// fails with an error of its own that does not wrap the context's.
type hangUpSource struct{ *memSource }

func (s hangUpSource) Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	if err := s.memSource.Read(ctx, start, end, emit); err != nil {
		return err
	}
	<-ctx.Done()
	return errors.New("stream: transport is closing")
}

// TestCancelledRunSaysSoAndLeavesNothing: a run cancelled during its read returns an error that
// is context.Canceled (exit 130, ledger "interrupted"), whatever the source made of it, and leaves
// neither report files nor spill files.
func TestCancelledRunSaysSoAndLeavesNothing(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine.TempDir = t.TempDir()
	cfg.Engine.MemoryBudget = 1 // spill everything
	out := t.TempDir()
	src := hangUpSource{csvSource(`
customer_id,event_time,event_name
c1,2026-03-01T10:00:00Z,page_view
c2,2026-03-01T11:00:00Z,purchase
`, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	w, _ := Day("2026-03-01", time.UTC)
	_, err := Run(ctx, Job{Config: cfg, Window: w, Out: out, Source: src})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v is not context.Canceled", err)
	}
	for _, dir := range []string{out, cfg.Engine.TempDir} {
		if es, _ := os.ReadDir(dir); len(es) != 0 {
			t.Errorf("%s holds %d entries after a cancelled run", dir, len(es))
		}
	}
}
