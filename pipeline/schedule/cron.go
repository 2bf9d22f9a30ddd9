package schedule

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Cron is a parsed schedule.cron expression with the time zone it is read in.
type Cron struct {
	s   cron.Schedule
	loc *time.Location
}

// ParseCron parses a five-field cron expression (or a descriptor such as @daily) as
// config.Validate accepts it. Times are read in loc unless spec starts with CRON_TZ=zone.
func ParseCron(spec string, loc *time.Location) (c Cron, err error) {
	// robfig/cron panics on some input ("TZ=" with nothing after it).
	defer func() {
		if p := recover(); p != nil {
			c, err = Cron{}, fmt.Errorf("schedule.cron: %q: %v", spec, p)
		}
	}()
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return Cron{}, fmt.Errorf("schedule.cron: %q: %w", spec, err)
	}
	return Cron{s: s, loc: loc}, nil
}

// Next is the first fire time strictly after t. On the day a DST change skips the fire time
// (02:30 when clocks jump from 02:00 to 03:00) that day has no run; when the time repeats
// (autumn) the run happens once, at the first occurrence.
func (c Cron) Next(t time.Time) time.Time {
	n := c.s.Next(t.In(c.loc))
	if n.IsZero() {
		return n
	}
	// robfig/cron fires at both occurrences of a repeated wall-clock time; a report run twice
	// is waste, so the second occurrence (its wall clock equal to that of an instant a DST
	// shift earlier) is passed over.
	zone := c.loc
	if ss, ok := c.s.(*cron.SpecSchedule); ok && ss.Location != time.Local {
		zone = ss.Location
	}
	wall := func(x time.Time) string { return x.In(zone).Format("2006-01-02 15:04:05") }
	for _, shift := range []time.Duration{30 * time.Minute, time.Hour} {
		if wall(n.Add(-shift)) == wall(n) {
			return c.Next(n)
		}
	}
	return n
}

// Between lists the fire times in (after, until], oldest first, keeping at most the last max of
// them; max <= 0 returns none.
func (c Cron) Between(after, until time.Time, max int) []time.Time {
	if max <= 0 {
		return nil
	}
	var ts []time.Time
	for t := c.Next(after); !t.IsZero() && !t.After(until); t = c.Next(t) {
		ts = append(ts, t)
		if len(ts) > max {
			ts = ts[1:]
		}
	}
	return ts
}
