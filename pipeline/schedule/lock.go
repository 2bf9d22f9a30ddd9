package schedule

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Lock files in the state directory.
const (
	// LockFile guards the output: whoever writes reports or the ledger holds it — a backfill
	// throughout, the scheduler while it runs reports (not while it waits for the next fire time).
	LockFile = "journeykpi.lock"
	// SchedulerLockFile keeps a second scheduler off the same state directory; a scheduler holds
	// it for its whole life.
	SchedulerLockFile = "journeykpi-schedule.lock"
)

// ErrLocked means another process holds the lock. Errors from Acquire wrap it with who holds it.
var ErrLocked = errors.New("locked by another journeykpi")

// Lock is an exclusive flock(2) on a file in the state directory. The kernel releases it when
// the process ends, however it ends, so a killed scheduler never leaves a stale lock behind.
type Lock struct {
	f *os.File
}

// Acquire takes the lock on file name (LockFile, SchedulerLockFile) in dir without waiting. what
// (schedule, backfill) is written into the file so a second process can say who holds it. When
// another process holds it the error wraps ErrLocked and names the holder.
func Acquire(dir, name, what string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := io.ReadAll(io.LimitReader(f, 512))
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			h := strings.TrimSpace(string(holder))
			if h == "" {
				h = "another process"
			}
			return nil, fmt.Errorf("%s is %w (%s)", path, ErrLocked, h)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The holder line is informational; the flock is the lock. Truncate and rewrite in place
	// rather than replace the file, which would let a second process lock a different inode.
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "journeykpi %s, pid %d, since %s\n", what, os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	}
	return &Lock{f: f}, nil
}

// Release gives the lock up. The file stays: deleting it would race with a process that has it
// open and is about to lock it.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// Wait takes the lock like Acquire, retrying every poll while another process holds it.
// busy, when set, is called once with the first ErrLocked error. It returns ctx's error when ctx
// ends first.
func Wait(ctx context.Context, dir, name, what string, poll time.Duration, busy func(error)) (*Lock, error) {
	for first := true; ; first = false {
		l, err := Acquire(dir, name, what)
		if !errors.Is(err, ErrLocked) {
			return l, err
		}
		if first && busy != nil {
			busy(err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}
