package bigquery

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The pause before a stream resumes ends with its context: a cancelled read does not wait it out.
// (How long the pause is, config.Retry.Backoff, is tested in package config, and that a resumed
// stream pauses by it in TestStreamResumePausesByRetryPolicy.)
func TestSleepEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep on a cancelled context: %v", err)
	}
	if err := sleep(context.Background(), 0); err != nil {
		t.Errorf("sleep of no time: %v", err)
	}
}
