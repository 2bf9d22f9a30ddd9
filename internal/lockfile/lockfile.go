package lockfile

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

// ErrLocked means another process holds the lock. Errors from TryAcquire and Acquire wrap it with
// who holds it.
var ErrLocked = errors.New("locked by another journeykpi")

// Lock is an exclusive flock(2) on a file. The kernel releases it when
// the process ends, however it ends, so a killed scheduler never leaves a stale lock behind.
type Lock struct {
	f *os.File
}

// TryAcquire takes the lock on the file at path without waiting, creating the file and its
// directory when missing. command (schedule, backfill, run) is written into the file with the
// process id, so that a second process can say who holds it. When another process holds it the
// error wraps ErrLocked and names the holder.
func TryAcquire(path, command string) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
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
		fmt.Fprintf(f, "journeykpi %s, pid %d, since %s\n", command, os.Getpid(), time.Now().UTC().Format(time.RFC3339))
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

// Acquire takes the lock like TryAcquire, retrying every poll while another process holds it.
// busy, when set, is called once with the first ErrLocked error. It returns ctx's error when ctx
// ends first.
func Acquire(ctx context.Context, path, command string, poll time.Duration, busy func(error)) (*Lock, error) {
	for first := true; ; first = false {
		l, err := TryAcquire(path, command)
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

// Holder reports whether another process holds the lock at path, and then what it wrote there
// (command, pid, since). It takes nothing and writes nothing: a shared, non-blocking flock on the
// file opened for reading tells. A missing file is a free lock.
func Holder(path string) (holder string, held bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b, _ := io.ReadAll(io.LimitReader(f, 512))
			return strings.TrimSpace(string(b)), true, nil
		}
		return "", false, err
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return "", false, nil
}
