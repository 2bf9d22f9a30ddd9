package pipeline

import (
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// recentPeriods is how many periods of the report's kind the sparklines draw, the report's own
// included.
const recentPeriods = 6

// comparison is every period a report over w computes headline KPIs for besides w itself.
type comparison struct {
	previous window.Window
	// yearAgo is the same period a year earlier; nil when comparison.year_ago is off.
	yearAgo *window.Window
	// recent are the periods of w's kind up to and including w, oldest first.
	recent []window.Window
	// pieces are the periods of run --by, oldest first; nil without it.
	pieces []window.Piece
}

// comparisonOf resolves the comparison periods of a report over w; by is the step of run --by
// ("" for none), already validated.
func comparisonOf(cfg *config.Config, w window.Window, by string) comparison {
	c := comparison{previous: w.Comparison(), recent: w.Recent(recentPeriods)}
	if cfg.Comparison.YearAgo != config.YearAgoOff {
		ya := w.YearAgo()
		c.yearAgo = &ya
	}
	if by != "" {
		c.pieces, _ = window.Periods(w, by)
	}
	return c
}

// earliest is the first day any period of c (w's own included) starts.
func (c comparison) earliest(w window.Window) time.Time {
	e := w.From
	for _, p := range append([]window.Window{c.previous}, c.recent...) {
		if p.From.Before(e) {
			e = p.From
		}
	}
	if c.yearAgo != nil && c.yearAgo.From.Before(e) {
		e = c.yearAgo.From
	}
	return e
}

// yearAgoStatus says whether the year-ago period is compared: off by config, before_data when the
// data (from dataStart) do not reach back to its first day and comparison.year_ago is auto, else
// compared.
func (c comparison) yearAgoStatus(cfg *config.Config, dataStart int64) string {
	switch {
	case c.yearAgo == nil:
		return "off"
	case cfg.Comparison.YearAgo == config.YearAgoAuto && dataStart > c.yearAgo.From.UnixMicro():
		return "before_data"
	}
	return "compared"
}

// period turns a window into the engine's period.
func period(w window.Window) kpi.Period {
	return kpi.Period{From: w.From.UnixMicro(), To: w.End().UnixMicro(), FromDay: w.FromDay(), ToDay: w.ToDay()}
}
