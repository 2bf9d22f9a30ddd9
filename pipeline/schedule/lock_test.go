package schedule

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestLockIsExclusive(t *testing.T) {
	dir := t.TempDir()
	a, err := Acquire(dir, LockFile, "schedule")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir, LockFile, "backfill")
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v", err)
	}
	if !strings.Contains(err.Error(), "journeykpi schedule, pid") {
		t.Errorf("message does not name the holder: %v", err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	b, err := Acquire(dir, LockFile, "backfill")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	b.Release()
}

func TestLockWait(t *testing.T) {
	dir := t.TempDir()
	a, err := Acquire(dir, LockFile, "backfill")
	if err != nil {
		t.Fatal(err)
	}
	// Another lock file in the same directory is independent.
	s, err := Acquire(dir, SchedulerLockFile, "schedule")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	busy := make(chan error, 1)
	got := make(chan error, 1)
	go func() {
		l, err := Wait(context.Background(), dir, LockFile, "schedule", time.Millisecond, func(err error) { busy <- err })
		if err == nil {
			l.Release()
		}
		got <- err
	}()
	if err := <-busy; !errors.Is(err, ErrLocked) {
		t.Fatalf("busy: %v", err)
	}
	a.Release()
	if err := <-got; err != nil {
		t.Fatalf("Wait after release: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, _ := Acquire(dir, LockFile, "backfill")
	defer b.Release()
	cancel()
	if _, err := Wait(ctx, dir, LockFile, "schedule", time.Millisecond, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Wait: %v", err)
	}
}
