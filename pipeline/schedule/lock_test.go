package schedule

import (
	"errors"
	"strings"
	"testing"
)

func TestLockIsExclusive(t *testing.T) {
	dir := t.TempDir()
	a, err := Acquire(dir, "schedule")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir, "backfill")
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v", err)
	}
	if !strings.Contains(err.Error(), "journeykpi schedule, pid") {
		t.Errorf("message does not name the holder: %v", err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	b, err := Acquire(dir, "backfill")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	b.Release()
}
