package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/window"
)

// recorder is a RunFunc that records the windows it was asked for.
type recorder struct {
	// dir, when set, is where each run writes its (empty) report file; otherwise the file is
	// named but not written.
	dir string
	// status, when set, gives a window's Result.Status (by its String).
	status map[string]string
	mu     sync.Mutex
	runs   []string
	hook   func(ctx context.Context, w window.Window) error
}

func (r *recorder) run(ctx context.Context, w window.Window, log *slog.Logger) (Result, error) {
	r.mu.Lock()
	r.runs = append(r.runs, w.String())
	hook := r.hook
	r.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, w); err != nil {
			return Result{}, err
		}
	}
	name := "r_" + w.FromDay() + "_" + w.ToDay() + ".json"
	if r.dir != "" {
		name = filepath.Join(r.dir, name)
		if err := os.WriteFile(name, nil, 0o644); err != nil {
			return Result{}, err
		}
	}
	r.mu.Lock()
	st := r.status[w.String()]
	r.mu.Unlock()
	return Result{Files: []string{name}, RowsRead: 42, Status: st}, nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.runs...)
}

func newScheduler(t *testing.T, clock Clock, rec *recorder, mod func(*Options)) (*Scheduler, *Ledger) {
	t.Helper()
	l, err := OpenLedger(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCron("0 3 * * *", loc(t, "Europe/Berlin"))
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Report: "r", Cron: c, Period: window.PreviousDay, Location: loc(t, "Europe/Berlin"),
		RecomputeDays: 0, CatchUp: 7, Grace: time.Minute, ConfigHash: "h1", Ledger: l, Run: rec.run, Clock: clock}
	if mod != nil {
		mod(&o)
	}
	return New(o), l
}

func day(s string) string { return s + ".." + s }

// serveRuns runs Serve on a scheduler (newScheduler with mod) until its stopAfter-th run, which
// still completes. hook, when set, is called in each run with the run's number, from 1, and its
// error is the run's.
func serveRuns(t *testing.T, clock Clock, stopAfter int, hook func(n int) error, mod func(*Options)) (*recorder, *Ledger) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &recorder{}
	rec.hook = func(context.Context, window.Window) error {
		n := len(rec.got())
		if n >= stopAfter {
			cancel()
		}
		if hook != nil {
			return hook(n)
		}
		return nil
	}
	s, l := newScheduler(t, clock, rec, mod)
	if err := s.Serve(ctx); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	return rec, l
}

func TestServeRunsEachFireWithRecompute(t *testing.T) {
	berlin := loc(t, "Europe/Berlin")
	clock := newFakeClock(time.Date(2024, 3, 29, 12, 0, 0, 0, berlin), true)
	// Stop after the third fire's runs.
	rec, l := serveRuns(t, clock, 9, nil, func(o *Options) { o.RecomputeDays = 2 })
	// Fires on 30 and 31 March and 1 April (across the DST change) report the previous day and
	// recompute the two before it.
	want := []string{
		day("2024-03-27"), day("2024-03-28"), day("2024-03-29"),
		day("2024-03-28"), day("2024-03-29"), day("2024-03-30"),
		day("2024-03-29"), day("2024-03-30"), day("2024-03-31"),
	}
	if got := rec.got(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("runs:\n got %v\nwant %v", got, want)
	}
	es := l.Entries()
	if len(es) != 9 {
		t.Fatalf("ledger has %d entries", len(es))
	}
	if es[0].Trigger != TriggerRecompute || es[2].Trigger != TriggerSchedule || es[2].Outcome != OutcomeOK ||
		es[2].RowsRead != 42 || es[2].Scheduled != "2024-03-30T02:00:00Z" || es[8].Scheduled != "2024-04-01T01:00:00Z" {
		t.Errorf("ledger entries: %+v / %+v / %+v", es[0], es[2], es[8])
	}
	// The ledger is on disk: a reopened one sees the same runs.
	l2, err := OpenLedger(filepath.Dir(l.Path()))
	if err != nil || len(l2.Entries()) != 9 {
		t.Fatalf("reopened ledger: %v, %d entries", err, len(l2.Entries()))
	}
}

func TestCatchUpAfterOutage(t *testing.T) {
	berlin := loc(t, "Europe/Berlin")
	tests := []struct {
		name    string
		catchUp int
		want    []string
	}{
		// Down from after the 10 March run until 13 March 10:00: the fires of 11, 12 and 13
		// March were missed, so 10, 11 and 12 March are reported, oldest first.
		{"three days", 7, []string{day("2024-03-10"), day("2024-03-11"), day("2024-03-12")}},
		{"capped", 2, []string{day("2024-03-11"), day("2024-03-12")}},
		{"off", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock(time.Date(2024, 3, 13, 10, 0, 0, 0, berlin), false)
			rec := &recorder{}
			s, l := newScheduler(t, clock, rec, func(o *Options) { o.CatchUp = tt.catchUp })
			if err := l.Put(Entry{RunID: "a", Trigger: TriggerSchedule, Scheduled: "2024-03-10T02:00:00Z",
				From: "2024-03-09", To: "2024-03-09", Outcome: OutcomeOK}); err != nil {
				t.Fatal(err)
			}
			js, err := s.startup()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, j := range js {
				got = append(got, j.w.String())
				if j.trigger != TriggerCatchUp {
					t.Errorf("trigger %s", j.trigger)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCatchUpWithRecomputeAndRecovery(t *testing.T) {
	berlin := loc(t, "Europe/Berlin")
	clock := newFakeClock(time.Date(2024, 3, 13, 10, 0, 0, 0, berlin), false)
	rec := &recorder{}
	s, l := newScheduler(t, clock, rec, func(o *Options) { o.RecomputeDays = 1 })
	l.Put(Entry{RunID: "a", Trigger: TriggerSchedule, Scheduled: "2024-03-12T02:00:00Z", From: "2024-03-11", To: "2024-03-11", Outcome: OutcomeRunning})
	js, err := s.startup()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range js {
		got = append(got, j.trigger+":"+j.w.String())
	}
	// The run killed on 12 March is redone by the catch-up of 13 March (its recompute window),
	// so it appears once, in date order.
	want := "catch_up:" + day("2024-03-11") + " catch_up:" + day("2024-03-12")
	if strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
	if e := l.Entries()[0]; e.Outcome != OutcomeAbandoned {
		t.Errorf("dead run not marked abandoned: %+v", e)
	}
	if len(l.Entries()) != 1 {
		t.Errorf("startup wrote runs")
	}
}

func TestOverlappingFireIsSkipped(t *testing.T) {
	berlin := loc(t, "Europe/Berlin")
	clock := newFakeClock(time.Date(2024, 3, 10, 12, 0, 0, 0, berlin), true)
	rec, l := serveRuns(t, clock, 2, func(n int) error {
		if n == 1 { // the first run takes 25 hours: the fire of 12 March comes while it runs
			clock.Set(clock.Now().Add(25 * time.Hour))
		}
		return nil
	}, nil)
	if got := rec.got(); strings.Join(got, " ") != day("2024-03-10")+" "+day("2024-03-12") {
		t.Errorf("runs %v", got)
	}
	es := l.Entries()
	if len(es) != 3 || es[1].Outcome != OutcomeSkipped || es[1].From != "2024-03-11" {
		t.Fatalf("ledger %+v", es)
	}
}

func TestPanicAndFailureAreRecordedAndTheScheduleGoesOn(t *testing.T) {
	berlin := loc(t, "Europe/Berlin")
	clock := newFakeClock(time.Date(2024, 3, 10, 12, 0, 0, 0, berlin), true)
	_, l := serveRuns(t, clock, 3, func(n int) error {
		switch n {
		case 1:
			panic("boom")
		case 2:
			return errors.New("source unavailable")
		}
		return nil
	}, nil)
	es := l.Entries()
	if len(es) != 3 {
		t.Fatalf("ledger %+v", es)
	}
	if es[0].Outcome != OutcomeFailed || !strings.Contains(es[0].Error, "panic: boom") {
		t.Errorf("panic entry %+v", es[0])
	}
	if es[1].Outcome != OutcomeFailed || es[1].Error != "source unavailable" {
		t.Errorf("failure entry %+v", es[1])
	}
	if es[2].Outcome != OutcomeOK {
		t.Errorf("third entry %+v", es[2])
	}
}

// TestGracefulShutdown: cancelling the scheduler's context lets the running report finish within
// the grace period, or cancels it once the grace period has passed.
func TestGracefulShutdown(t *testing.T) {
	for _, finish := range []bool{true, false} {
		t.Run(fmt.Sprintf("finishes=%v", finish), func(t *testing.T) {
			berlin := loc(t, "Europe/Berlin")
			clock := newFakeClock(time.Date(2024, 3, 10, 12, 0, 0, 0, berlin), false)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			started, release := make(chan struct{}), make(chan struct{})
			rec := &recorder{}
			rec.hook = func(ctx context.Context, w window.Window) error {
				close(started)
				select {
				case <-release:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			s, l := newScheduler(t, clock, rec, func(o *Options) { o.RecomputeDays = 3 })
			done := make(chan error, 1)
			go func() { _, err := s.RunOnce(ctx); done <- err }()
			<-started
			cancel()
			<-clock.waiting // the grace timer is set
			if finish {
				close(release)
			} else {
				clock.Advance(time.Minute)
			}
			err := <-done
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("RunOnce: %v", err)
			}
			es := l.Entries()
			if len(es) != 1 {
				t.Fatalf("a new run started after shutdown: %+v", es)
			}
			want := OutcomeOK
			if !finish {
				want = OutcomeInterrupted
			}
			if es[0].Outcome != want {
				t.Errorf("outcome %s, want %s", es[0].Outcome, want)
			}
		})
	}
}

// TestServeHoldsTheOutputLockAndRereadsTheLedger: each batch of runs happens under Options.Lock,
// and entries another process (a backfill) wrote meanwhile survive.
func TestServeHoldsTheOutputLockAndRereadsTheLedger(t *testing.T) {
	berlin := loc(t, "Europe/Berlin")
	clock := newFakeClock(time.Date(2024, 3, 10, 12, 0, 0, 0, berlin), true)
	held := false
	locks := 0
	_, l := serveRuns(t, clock, 2, func(int) error {
		if !held {
			t.Error("run outside the output lock")
		}
		return nil
	}, func(o *Options) {
		o.Lock = func(context.Context) (func(), error) {
			locks++
			held = true
			// Another process wrote the ledger while this one waited.
			other, err := OpenLedger(filepath.Dir(o.Ledger.Path()))
			if err != nil {
				t.Fatal(err)
			}
			other.Put(Entry{RunID: fmt.Sprintf("backfill-%d", locks), Trigger: TriggerBackfill, From: "2024-01-01", To: "2024-01-01", Outcome: OutcomeOK})
			return func() { held = false }, nil
		}
	})
	var ids []string
	for _, e := range l.Entries() {
		ids = append(ids, e.Trigger)
	}
	// startup (no runs), fire of 11 March, fire of 12 March.
	want := "backfill backfill schedule backfill schedule"
	if strings.Join(ids, " ") != want || locks != 3 {
		t.Errorf("ledger triggers %v (locks %d), want %s", ids, locks, want)
	}
}

// TestFireCaughtUpWhileWaitingForTheLockRunsOnce: a scheduler that starts just before a fire time
// and waits past it for the output lock (a backfill holds it) catches that fire up at startup;
// the loop must not run it a second time.
func TestFireCaughtUpWhileWaitingForTheLockRunsOnce(t *testing.T) {
	berlin := loc(t, "Europe/Berlin")
	clock := newFakeClock(time.Date(2024, 3, 10, 2, 59, 0, 0, berlin), true)
	waited := false
	rec, _ := serveRuns(t, clock, 2, nil, func(o *Options) {
		// The last run before the scheduler started was the fire of 9 March.
		if err := o.Ledger.Put(Entry{RunID: "a", Trigger: TriggerSchedule, Scheduled: "2024-03-09T02:00:00Z",
			From: "2024-03-08", To: "2024-03-08", Outcome: OutcomeOK}); err != nil {
			t.Fatal(err)
		}
		o.Lock = func(context.Context) (func(), error) {
			if !waited {
				waited = true
				clock.Set(time.Date(2024, 3, 10, 3, 30, 0, 0, berlin))
			}
			return func() {}, nil
		}
	})
	if got, want := strings.Join(rec.got(), " "), day("2024-03-09")+" "+day("2024-03-10"); got != want {
		t.Errorf("runs %s, want %s", got, want)
	}
}
