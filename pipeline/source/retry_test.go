package source

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

type transientErr struct{ transient bool }

func (e transientErr) Error() string   { return "backend error" }
func (e transientErr) Transient() bool { return e.transient }

// scriptSource fails its first reads with the scripted errors, emitting emitBefore[i] batches
// before failing, then succeeds with one batch.
type scriptSource struct {
	errs       []error
	emitBefore []int
	calls      int
}

func oneRowRecord() arrow.Record {
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.Append(1)
	col := b.NewArray()
	defer col.Release()
	return array.NewRecord(arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{col}, 1)
}

func (s *scriptSource) Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	i := s.calls
	s.calls++
	rec := oneRowRecord()
	defer rec.Release()
	if i < len(s.errs) {
		for j := 0; i < len(s.emitBefore) && j < s.emitBefore[i]; j++ {
			if err := emit(rec); err != nil {
				return err
			}
		}
		return s.errs[i]
	}
	return emit(rec)
}

func TestWithRetry(t *testing.T) {
	transient, permanent := transientErr{true}, transientErr{false}
	tests := []struct {
		name       string
		errs       []error
		emitBefore []int
		attempts   int
		wantCalls  int
		wantErr    string // substring; "" means success
		wantPauses []time.Duration
	}{
		{name: "success first time", attempts: 3, wantCalls: 1},
		{name: "transient then success", errs: []error{transient, transient}, attempts: 3, wantCalls: 3,
			wantPauses: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}},
		{name: "transient exhausts attempts", errs: []error{transient, transient, transient}, attempts: 3, wantCalls: 3,
			wantErr: "giving up after 3 attempts", wantPauses: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond}},
		{name: "permanent fails fast", errs: []error{permanent}, attempts: 5, wantCalls: 1, wantErr: "backend error"},
		{name: "plain error is permanent", errs: []error{errors.New("boom")}, attempts: 5, wantCalls: 1, wantErr: "boom"},
		{name: "transient after a partial emit is not retried", errs: []error{transient}, emitBefore: []int{2}, attempts: 5,
			wantCalls: 1, wantErr: "already passed on"},
		{name: "backoff capped", errs: []error{transient, transient, transient, transient}, attempts: 5, wantCalls: 5,
			wantPauses: []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second, 3 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &scriptSource{errs: tt.errs, emitBefore: tt.emitBefore}
			var pauses []time.Duration
			r := WithRetry(src, RetryPolicy{
				Attempts: tt.attempts, InitialBackoff: time.Second, MaxBackoff: 4 * time.Second, Deadline: time.Hour,
				Rand:  func() float64 { return 0.5 },
				Sleep: func(ctx context.Context, d time.Duration) error { pauses = append(pauses, d); return nil },
			})
			rows := 0
			err := r.Read(context.Background(), time.Time{}, time.Time{}, func(rec arrow.Record) error {
				rows += int(rec.NumRows())
				return nil
			})
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Read: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Read error = %v, want it to contain %q", err, tt.wantErr)
			}
			if src.calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", src.calls, tt.wantCalls)
			}
			if len(pauses) != len(tt.wantPauses) {
				t.Fatalf("pauses = %v, want %v", pauses, tt.wantPauses)
			}
			for i := range pauses {
				if pauses[i] != tt.wantPauses[i] {
					t.Errorf("pause %d = %v, want %v", i, pauses[i], tt.wantPauses[i])
				}
			}
			if tt.wantErr == "" && rows != 1 {
				t.Errorf("rows emitted = %d, want 1", rows)
			}
		})
	}
}

func TestWithRetryJitterRange(t *testing.T) {
	for _, rnd := range []float64{0, 0.999999} {
		var got time.Duration
		r := WithRetry(&scriptSource{errs: []error{transientErr{true}}}, RetryPolicy{
			Attempts: 2, InitialBackoff: 2 * time.Second, MaxBackoff: time.Minute,
			Rand:  func() float64 { return rnd },
			Sleep: func(ctx context.Context, d time.Duration) error { got = d; return nil },
		})
		if err := r.Read(context.Background(), time.Time{}, time.Time{}, func(arrow.Record) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if got < time.Second || got > 2*time.Second {
			t.Errorf("rand %v: pause %v outside [1s, 2s]", rnd, got)
		}
	}
}

func TestWithRetryEmitErrorNotRetried(t *testing.T) {
	src := &scriptSource{}
	stop := errors.New("consumer full")
	r := WithRetry(src, RetryPolicy{Attempts: 5, Transient: func(error) bool { return true }})
	err := r.Read(context.Background(), time.Time{}, time.Time{}, func(arrow.Record) error { return stop })
	if !errors.Is(err, stop) || src.calls != 1 {
		t.Fatalf("err = %v after %d calls, want the emit error after 1", err, src.calls)
	}
}

func TestWithRetryDeadline(t *testing.T) {
	src := &scriptSource{errs: []error{transientErr{true}, transientErr{true}, transientErr{true}}}
	r := WithRetry(src, RetryPolicy{
		Attempts: 10, InitialBackoff: time.Hour, MaxBackoff: time.Hour, Deadline: time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error { <-ctx.Done(); return ctx.Err() },
	})
	err := r.Read(context.Background(), time.Time{}, time.Time{}, func(arrow.Record) error { return nil })
	var re *RetryError
	if !errors.As(err, &re) || src.calls != 1 || !strings.Contains(re.Reason, "retry deadline 1ms reached") {
		t.Fatalf("err = %v after %d calls, want a RetryError naming the deadline after 1", err, src.calls)
	}
}

// slowSource takes d before each read, which fails with errs[i] while there are errors left.
type slowSource struct {
	d     time.Duration
	errs  []error
	calls int
}

func (s *slowSource) Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	i := s.calls
	s.calls++
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		return ctx.Err()
	}
	if i < len(s.errs) {
		return s.errs[i]
	}
	rec := oneRowRecord()
	defer rec.Release()
	return emit(rec)
}

// TestWithRetryDeadlineBoundsRetriesNotAHealthyRead: a first read longer than the deadline that
// does not fail is not cut; after a failure, the deadline bounds the retries from then on.
func TestWithRetryDeadlineBoundsRetriesNotAHealthyRead(t *testing.T) {
	p := RetryPolicy{Attempts: 5, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond, Deadline: 20 * time.Millisecond}
	healthy := &slowSource{d: 60 * time.Millisecond}
	if err := WithRetry(healthy, p).Read(context.Background(), time.Time{}, time.Time{}, func(arrow.Record) error { return nil }); err != nil {
		t.Fatalf("a long healthy read failed: %v", err)
	}
	retried := &slowSource{d: 60 * time.Millisecond, errs: []error{transientErr{true}}}
	err := WithRetry(retried, p).Read(context.Background(), time.Time{}, time.Time{}, func(arrow.Record) error { return nil })
	var re *RetryError
	if !errors.As(err, &re) || retried.calls != 2 || !strings.Contains(re.Reason, "retry deadline 20ms reached") {
		t.Fatalf("err = %v after %d calls, want the second attempt cut by the retry deadline", err, retried.calls)
	}
}
