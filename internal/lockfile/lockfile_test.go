package lockfile

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockIsExclusive(t *testing.T) {
	dir := t.TempDir()
	lock := filepath.Join(dir, "output.lock")
	a, err := TryAcquire(lock, "schedule")
	if err != nil {
		t.Fatal(err)
	}
	_, err = TryAcquire(lock, "backfill")
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v", err)
	}
	if !strings.Contains(err.Error(), "journeykpi schedule, pid") {
		t.Errorf("message does not name the holder: %v", err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	b, err := TryAcquire(lock, "backfill")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	b.Release()
}

func TestAcquireWaits(t *testing.T) {
	dir := t.TempDir()
	lock, other := filepath.Join(dir, "output.lock"), filepath.Join(dir, "other.lock")
	a, err := TryAcquire(lock, "backfill")
	if err != nil {
		t.Fatal(err)
	}
	// Another lock file in the same directory is independent.
	s, err := TryAcquire(other, "schedule")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	busy := make(chan error, 1)
	got := make(chan error, 1)
	go func() {
		l, err := Acquire(context.Background(), lock, "schedule", time.Millisecond, func(err error) { busy <- err })
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
	b, _ := TryAcquire(lock, "backfill")
	defer b.Release()
	cancel()
	if _, err := Acquire(ctx, lock, "schedule", time.Millisecond, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Wait: %v", err)
	}
}
