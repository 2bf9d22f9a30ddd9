package schedule

import (
	"sync"
	"time"
)

// fakeClock is a Clock under the test's control. In auto mode After jumps the clock forward by
// d and fires at once, so a scheduler loop runs through days instantly; otherwise After waits
// for Advance.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	auto    bool
	waiters []waiter
	// waiting receives a value each time After registers a waiter (manual mode).
	waiting chan struct{}
}

type waiter struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock(now time.Time, auto bool) *fakeClock {
	return &fakeClock{now: now, auto: auto, waiting: make(chan struct{}, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if c.auto {
		c.now = c.now.Add(d)
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), c: ch})
	c.waiting <- struct{}{}
	return ch
}

// Advance moves the clock by d and fires the waiters that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.c <- c.now
			continue
		}
		keep = append(keep, w)
	}
	c.waiters = keep
}

// Set moves the clock to t without firing anything (time passing inside a run).
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
