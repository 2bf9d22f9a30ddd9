package schedule

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/window"
)

func days(t *testing.T, from, to string) []window.Window {
	t.Helper()
	w, err := window.Parse(from, to, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	ps, _, err := window.Split(w, window.EveryDay)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestBackfillResumesAndReportsFailures(t *testing.T) {
	l, err := OpenLedger(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ws := days(t, "2024-03-01", "2024-03-30")
	rec := &recorder{dir: t.TempDir()}
	rec.hook = func(_ context.Context, w window.Window) error {
		if w.FromDay() == "2024-03-15" {
			return errors.New("bad day")
		}
		return nil
	}
	var progress []string
	b := &Backfill{Windows: ws, ConfigHash: "h", Ledger: l, Run: rec.run,
		Progress: func(done, total int, w window.Window, status string) {
			progress = append(progress, fmt.Sprintf("%d/%d %s", done, total, status))
		}}
	s := b.Do(context.Background())
	if s.Written() != 29 || s.Skipped != 0 || len(s.Failed) != 1 || s.Failed[0].Window.FromDay() != "2024-03-15" || len(s.Files) != 29 {
		t.Fatalf("first pass %+v", s)
	}
	if len(progress) != 60 || progress[0] != "0/30 running" || progress[59] != "30/30 ok" {
		t.Errorf("progress %v", progress)
	}

	// Rerun: only the failed day is redone.
	rec.hook = nil
	s = b.Do(context.Background())
	if s.Written() != 1 || s.Skipped != 29 || len(s.Failed) != 0 || len(rec.got()) != 31 {
		t.Fatalf("second pass %+v, %d calls", s, len(rec.got()))
	}
	// Third: nothing to do.
	s = b.Do(context.Background())
	if s.Written() != 0 || s.Skipped != 30 || len(rec.got()) != 31 {
		t.Fatalf("third pass %+v", s)
	}
	// A different config recomputes everything; so does --force.
	b.ConfigHash = "h2"
	if s = b.Do(context.Background()); s.Written() != 30 {
		t.Errorf("new config %+v", s)
	}
	b.Force = true
	if s = b.Do(context.Background()); s.Written() != 30 {
		t.Errorf("force %+v", s)
	}
}

func TestBackfillStopsWhenCancelled(t *testing.T) {
	l, _ := OpenLedger(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{}
	rec.hook = func(ctx context.Context, w window.Window) error {
		if w.FromDay() == "2024-03-03" {
			cancel()
			return ctx.Err()
		}
		return nil
	}
	s := (&Backfill{Windows: days(t, "2024-03-01", "2024-03-10"), Ledger: l, Run: rec.run}).Do(ctx)
	if !s.Interrupted || s.Written() != 2 || len(s.Failed) != 0 || len(rec.got()) != 3 {
		t.Errorf("%+v, %d calls", s, len(rec.got()))
	}
	if e := l.Entries()[2]; e.Outcome != OutcomeInterrupted {
		t.Errorf("%+v", e)
	}
}

// TestATimeoutInsideARunIsAFailure: a run that fails on a deadline of its own (a request timing
// out, a retry deadline) while nobody cancelled it is failed — in the ledger, the webhook and the
// counts — not interrupted, which would tell the operator a shutdown cut it.
func TestATimeoutInsideARunIsAFailure(t *testing.T) {
	l, _ := OpenLedger(t.TempDir())
	rec := &recorder{}
	rec.hook = func(context.Context, window.Window) error {
		return fmt.Errorf("bigquery: read: %w", context.DeadlineExceeded)
	}
	s := (&Backfill{Windows: days(t, "2024-03-01", "2024-03-01"), Ledger: l, Run: rec.run}).Do(context.Background())
	if s.Interrupted || len(s.Failed) != 1 || s.Tally.Failed != 1 || s.Tally.Interrupted != 0 {
		t.Errorf("%+v", s)
	}
	if e := l.Entries()[0]; e.Outcome != OutcomeFailed {
		t.Errorf("ledger %+v", e)
	}
}
