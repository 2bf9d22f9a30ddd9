package schedule

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/window"
)

// inputs is a FingerprintFunc whose answers the test sets per window.
type inputs struct {
	mu sync.Mutex
	fp map[string]string
}

func (in *inputs) set(w, fp string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.fp == nil {
		in.fp = map[string]string{}
	}
	in.fp[w] = fp
}

func (in *inputs) fingerprint(_ context.Context, w window.Window) (string, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if fp, ok := in.fp[w.String()]; ok {
		return fp, nil
	}
	return "v1", nil
}

func TestLedgerDoneNeedsTheSameInputAndItsFiles(t *testing.T) {
	dir := t.TempDir()
	l, _ := OpenLedger(dir)
	w, _ := window.Day("2024-03-01", time.UTC)
	f := filepath.Join(dir, "r.json")
	os.WriteFile(f, nil, 0o644)
	l.Put(Entry{RunID: "1", From: "2024-03-01", To: "2024-03-01", Outcome: OutcomeIncomplete, ConfigHash: "h", Input: "a", Files: []string{f}})
	for _, c := range []struct {
		hash, input string
		done        bool
	}{{"h", "a", true}, {"h", "b", false}, {"h", "", false}, {"g", "a", false}} {
		if got := l.Done(w, c.hash, c.input); got != c.done {
			t.Errorf("Done(%q, %q) = %v, want %v", c.hash, c.input, got, c.done)
		}
	}
	l.Put(Entry{RunID: "2", From: "2024-03-01", To: "2024-03-01", Outcome: OutcomeUnchanged, ConfigHash: "h", Input: "a"})
	if !l.Done(w, "h", "a") {
		t.Error("an unchanged check hid the run that wrote the report")
	}
	os.Remove(f)
	if l.Done(w, "h", "a") {
		t.Error("a report whose file was deleted counts as done")
	}
}

// TestBackfillRedoesExactlyThePeriodsWhoseInputChanged: data cut at one point and backfilled
// again recomputes the periods whose input changed, and only those.
func TestBackfillRedoesExactlyThePeriodsWhoseInputChanged(t *testing.T) {
	l, _ := OpenLedger(t.TempDir())
	rec := &recorder{dir: t.TempDir()}
	in := &inputs{}
	b := &Backfill{Windows: days(t, "2024-03-01", "2024-03-10"), ConfigHash: "h", Ledger: l, Run: rec.run, Fingerprint: in.fingerprint}
	if s := b.Do(context.Background()); s.Written() != 10 {
		t.Fatalf("first pass %+v", s)
	}
	in.set(day("2024-03-04"), "v2")
	in.set(day("2024-03-09"), "v2")
	s := b.Do(context.Background())
	if s.Written() != 2 || s.Skipped != 8 {
		t.Fatalf("after the data changed: %+v", s)
	}
	got := rec.got()[10:]
	if strings.Join(got, " ") != day("2024-03-04")+" "+day("2024-03-09") {
		t.Errorf("recomputed %v", got)
	}
	if es := l.Entries(); es[len(es)-1].Input != "v2" {
		t.Errorf("ledger entry %+v", es[len(es)-1])
	}
	if s := b.Do(context.Background()); s.Written() != 0 || s.Skipped != 10 {
		t.Errorf("third pass %+v", s)
	}
}

// TestRunOnceSkipsUnchangedAndRetriesIncomplete: a fire time computes only the periods whose
// input changed; a period written incomplete is tried again on later nights while it lies within
// recompute_days, and each outcome is counted.
func TestRunOnceSkipsUnchangedAndRetriesIncomplete(t *testing.T) {
	berlin := loc(t, "Europe/Berlin")
	clock := newFakeClock(time.Date(2024, 3, 20, 4, 0, 0, 0, berlin), false)
	rec := &recorder{dir: t.TempDir(), status: map[string]string{day("2024-03-19"): OutcomeIncomplete}}
	in := &inputs{}
	s, l := newScheduler(t, clock, rec, func(o *Options) { o.RecomputeDays = 1; o.Fingerprint = in.fingerprint })
	tally, err := s.RunOnce(context.Background())
	if err != nil || tally.OK != 1 || tally.Incomplete != 1 {
		t.Fatalf("first night: %+v, %v", tally, err)
	}
	// The next night with the same input: the 19th (incomplete) and the 20th are due by the plan,
	// the 19th's input has not changed: it is not computed again; the 20th is new.
	clock.Set(time.Date(2024, 3, 21, 4, 0, 0, 0, berlin))
	tally, _ = s.RunOnce(context.Background())
	if tally.OK != 1 || tally.Unchanged != 1 || strings.Join(rec.got()[2:], " ") != day("2024-03-20") {
		t.Fatalf("second night: %+v, runs %v", tally, rec.got())
	}
	// The late data of the 19th arrive on the 22nd: the 19th now lies before the reported day
	// (the 21st) less recompute_days (1), so it is no longer tried.
	in.set(day("2024-03-19"), "v2")
	clock.Set(time.Date(2024, 3, 22, 4, 0, 0, 0, berlin))
	tally, _ = s.RunOnce(context.Background())
	if strings.Contains(strings.Join(rec.got()[3:], " "), "2024-03-19") {
		t.Errorf("an incomplete period older than recompute_days was retried: %v", rec.got())
	}
	_ = tally
	es := l.Entries()
	var unchanged int
	for _, e := range es {
		if e.Outcome == OutcomeUnchanged {
			unchanged++
			if e.Input != "v1" || e.Scheduled == "" {
				t.Errorf("unchanged entry %+v", e)
			}
		}
	}
	if unchanged == 0 {
		t.Error("no unchanged entry recorded")
	}
}

// TestIncompletePeriodRetriedWithinRecomputeDays: a period the ledger has as incomplete that is
// not in the night's plan (here a backfilled week, beside a daily schedule) is tried again while
// its last day lies within recompute_days of the reported day's start, oldest first, and not
// after that.
func TestIncompletePeriodRetriedWithinRecomputeDays(t *testing.T) {
	berlin := loc(t, "Europe/Berlin")
	clock := newFakeClock(time.Date(2024, 3, 20, 4, 0, 0, 0, berlin), false)
	rec := &recorder{dir: t.TempDir()}
	in := &inputs{}
	s, l := newScheduler(t, clock, rec, func(o *Options) { o.RecomputeDays = 3; o.Fingerprint = in.fingerprint })
	for _, w := range [][2]string{{"2024-03-04", "2024-03-10"}, {"2024-03-11", "2024-03-17"}} {
		l.Put(Entry{RunID: w[0], Trigger: TriggerBackfill, From: w[0], To: w[1], ConfigHash: "h1", Input: "v0", Outcome: OutcomeIncomplete})
	}
	if _, err := s.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rec.got(), " ")
	want := "2024-03-11..2024-03-17 " + day("2024-03-16") + " " + day("2024-03-17") + " " + day("2024-03-18") + " " + day("2024-03-19")
	if got != want {
		t.Errorf("runs\n got %s\nwant %s", got, want)
	}
}
