package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery"
)

type syncTransient struct{}

func (syncTransient) Error() string   { return "backend error" }
func (syncTransient) Transient() bool { return true }

// A sync failing transiently is retried up to retry.attempts, pausing as the retry policy says:
// doubling from initial_backoff and staying at max_backoff however many attempts there are
// (shifting the initial backoff by the attempt number went negative after some 34 attempts).
func TestRetrySyncPausesByPolicy(t *testing.T) {
	r := config.Retry{Attempts: 40, InitialBackoff: config.Duration(time.Second), MaxBackoff: config.Duration(30 * time.Second)}
	var pauses []time.Duration
	calls := 0
	_, err := retrySync(context.Background(), r, slog.New(slog.DiscardHandler),
		func(_ context.Context, d time.Duration) { pauses = append(pauses, d) },
		func() ([]bigquery.SyncDay, error) { calls++; return nil, syncTransient{} })
	if !errors.Is(err, syncTransient{}) {
		t.Fatalf("err = %v, want the last transient error", err)
	}
	if calls != r.Attempts || len(pauses) != r.Attempts-1 {
		t.Fatalf("%d calls and %d pauses, want %d and %d", calls, len(pauses), r.Attempts, r.Attempts-1)
	}
	for i, d := range pauses {
		if want := r.Backoff(i + 1); d != want {
			t.Errorf("pause %d = %v, want %v", i+1, d, want)
		}
	}
	if pauses[0] != time.Second || pauses[len(pauses)-1] != 30*time.Second {
		t.Errorf("pauses from %v to %v, want from 1s to 30s", pauses[0], pauses[len(pauses)-1])
	}

	// An error that is not transient, and success, end it at once.
	calls, pauses = 0, nil
	_, err = retrySync(context.Background(), r, slog.New(slog.DiscardHandler),
		func(_ context.Context, d time.Duration) { pauses = append(pauses, d) },
		func() ([]bigquery.SyncDay, error) { calls++; return nil, errors.New("access denied") })
	if err == nil || calls != 1 || len(pauses) != 0 {
		t.Errorf("permanent error: err %v after %d calls and %d pauses", err, calls, len(pauses))
	}
	calls = 0
	days, err := retrySync(context.Background(), r, slog.New(slog.DiscardHandler),
		func(context.Context, time.Duration) {},
		func() ([]bigquery.SyncDay, error) {
			if calls++; calls < 3 {
				return nil, syncTransient{}
			}
			return []bigquery.SyncDay{{Staged: 1}}, nil
		})
	if err != nil || calls != 3 || len(days) != 1 {
		t.Errorf("transient then success: %v after %d calls, %d days", err, calls, len(days))
	}
}
