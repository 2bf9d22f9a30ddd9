package schedule

import "time"

// Clock is the scheduler's time: the real one in production, a fake one in tests.
type Clock interface {
	Now() time.Time
	// After delivers once d has passed, as time.After does.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the system clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// After is time.After.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
