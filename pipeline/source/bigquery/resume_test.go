package bigquery

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/config"
)

// A stream interrupted again and again resumes after pauses that double from the retry policy's
// initial backoff up to its maximum; without a policy (zero durations) it resumes at once.
func TestResumePauseDoubles(t *testing.T) {
	r := config.Retry{InitialBackoff: config.Duration(time.Second), MaxBackoff: config.Duration(5 * time.Second)}
	var got []time.Duration
	for n := 1; n <= 5; n++ {
		got = append(got, resumePause(r, n))
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("pauses %v, want %v", got, want)
		}
	}
	if d := resumePause(config.Retry{}, 3); d != 0 {
		t.Errorf("no policy: pause %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep on a cancelled context: %v", err)
	}
}
