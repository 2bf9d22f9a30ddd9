package kpi

import (
	"fmt"
	"math"
	"time"
)

// Micros per unit of time, for Event.Time arithmetic.
const (
	Hour = int64(time.Hour / time.Microsecond)
	Day  = 24 * Hour
	Week = 7 * Day
)

// StageDef is one journey stage as the engine sees it.
type StageDef struct {
	Name     string
	Optional bool
	// Within is the stage's own window from the previous required stage, in micros; 0 means the
	// funnel window applies.
	Within int64
	// Purchase marks the purchase stage; its events are orders.
	Purchase bool
	// Repeat marks the derived repeat-purchase stage.
	Repeat bool
}

// Period is a report window [From, To) in Unix micros, with the calendar days it stands for.
type Period struct {
	From, To       int64
	FromDay, ToDay string // YYYY-MM-DD, both inclusive, in the report time zone
	PreviousOf     string // for the comparison period: the FromDay of the period it precedes
	// Partial marks a period of Params.Periods cut by the report's range.
	Partial bool
}

// Days is the number of calendar days the period covers: its exposure when counts of periods of
// different length are compared (a day that changes the clock is still one day).
func (p Period) Days() float64 { return math.Round(float64(p.To-p.From) / float64(Day)) }

// Contains reports whether t falls in the period.
func (p Period) Contains(t int64) bool { return t >= p.From && t < p.To }

// Params is everything the KPIs depend on besides the journeys: stages, windows, the period and
// the data's end. The same Params and journeys always give the same Result.
type Params struct {
	Stages []StageDef
	// Window is the conversion window W, in micros.
	Window int64
	// Current is the report period; Previous the period it is compared with (the previous one of
	// the same calendar kind, or the period of equal length before it).
	Current, Previous Period
	// YearAgo is the same period a year earlier; nil when it is not compared.
	YearAgo *Period
	// Recent are the periods of the current one's kind up to and including it, oldest first, whose
	// headline KPIs the sparklines draw; Periods are the periods of run --by. Either may be empty.
	Recent, Periods []Period
	// DataStart is the start of the day of the earliest event read: a period that starts before
	// it is partial, and a history reaching before it is short.
	DataStart int64
	// MinChange is the smallest relative change that is called out (comparison.min_change);
	// MinMature the share of entrants whose window must have closed for a funnel KPI to be mature
	// (comparison.min_mature).
	MinChange, MinMature float64
	// DataEnd is the latest event time read (micros). A customer whose window is still open at
	// DataEnd and who has not reached the next stage is in progress, not dropped.
	DataEnd int64
	// FullFrom is where every event counts (micros): before it only purchase-stage events are
	// needed (the split read, source.history: orders), so a customer's segment and first
	// touchpoint come from their orders and their events since FullFrom, whatever was read.
	// Zero counts every event.
	FullFrom int64
	// Location is the report time zone: days, weeks and months are cut in it.
	Location *time.Location

	// Breakdowns are the funnel breakdowns (first_touchpoint, segment, entry_week, or a name of
	// Dimensions); Top is N.
	Breakdowns []string
	Top        int
	// Dimensions name the user's dimensions, Event.Dims in order (at most MaxDims). Repeat groups
	// and the journey map are also given by each of them.
	Dimensions []string

	// MinCustomers and PainPoints configure the journey map's pain points.
	MinCustomers int
	PainPoints   int

	// History is how far before Current.From an order makes a purchaser returning (micros).
	History int64
	// Cohort is "month" or "week".
	Cohort string
	// Horizon is how far ahead BG/NBD predicts (micros).
	Horizon int64

	// Lookback and HalfLife configure attribution (micros).
	Lookback int64
	HalfLife int64

	// CloseGap is the share of a gap to its benchmark that a stage opportunity or a pain point
	// counts on closing (allocation.close_gap); MinEntrants the customers at a step a breakdown
	// value needs to count towards a benchmark or be measured against one (allocation.min_entrants).
	CloseGap    float64
	MinEntrants int
	// MaxShift is the share of the giving touchpoint's spend a budget shift moves at most; Actions
	// how many recommendations the Summary shows.
	MaxShift float64
	Actions  int
	// Paid are the touchpoints whose budget can move (allocation.paid); empty means every
	// touchpoint with spend. Margin is the gross margin on revenue (allocation.margin), 0 when not
	// given: a unit of spend breaks even at a ROAS of 1/Margin.
	Paid   []string
	Margin float64
	// ResponseSeries asks for the daily attributed revenue per touchpoint over the read history
	// that the response curves are fitted to: set when the report reads a spend input.
	ResponseSeries bool

	// Currency is the ISO code money is reported in.
	Currency string

	// SumLines makes an order's revenue the sum of its lines, its distinct events (source.order_lines: sum)
	// instead of the first revenue value among its events.
	SumLines bool
}

// attribute reports whether event e may give its customer a segment or a first touchpoint: it is
// an order's event or falls in the full part of the read (FullFrom).
func (p *Params) attribute(e *Event, purchase int8) bool {
	return e.Time >= p.FullFrom || e.Stage == purchase
}

// MatureCohort is the mature cohort of per: entrants of [from − W, to − W], whose windows have all
// closed by the end of per. A whole-day W moves by calendar days in the report time zone, so the
// cohort starts at midnight like the period.
func (p *Params) MatureCohort(per Period) Period {
	shift := func(t int64) int64 {
		if p.Window%Day == 0 {
			return time.UnixMicro(t).In(p.Location).AddDate(0, 0, -int(p.Window/Day)).UnixMicro()
		}
		return t - p.Window
	}
	c := Period{From: shift(per.From), To: shift(per.To)}
	c.FromDay, c.ToDay = p.Day(c.From), p.Day(c.To-1)
	return c
}

// PurchaseStage returns the index of the purchase stage.
func (p *Params) PurchaseStage() int {
	for i, s := range p.Stages {
		if s.Purchase {
			return i
		}
	}
	return -1
}

// RepeatStage returns the index of the repeat stage, or -1.
func (p *Params) RepeatStage() int {
	for i, s := range p.Stages {
		if s.Repeat {
			return i
		}
	}
	return -1
}

// Validate checks the invariants the engine relies on.
func (p *Params) Validate() error {
	if len(p.Stages) < 2 || len(p.Stages) > 100 {
		return fmt.Errorf("kpi: %d stages (need 2 to 100)", len(p.Stages))
	}
	if p.PurchaseStage() < 0 {
		return fmt.Errorf("kpi: no purchase stage")
	}
	if p.Window <= 0 {
		return fmt.Errorf("kpi: window must be positive")
	}
	if p.Current.To <= p.Current.From {
		return fmt.Errorf("kpi: empty period")
	}
	if p.Location == nil {
		return fmt.Errorf("kpi: no location")
	}
	if len(p.Dimensions) > MaxDims {
		return fmt.Errorf("kpi: %d dimensions (at most %d)", len(p.Dimensions), MaxDims)
	}
	return nil
}

// DayStart returns the start of the report-time-zone day holding t (Unix micros).
func (p *Params) DayStart(t int64) time.Time {
	tt := time.UnixMicro(t).In(p.Location)
	return time.Date(tt.Year(), tt.Month(), tt.Day(), 0, 0, 0, 0, p.Location)
}

// Day returns the report-time-zone date of t as YYYY-MM-DD.
func (p *Params) Day(t int64) string { return time.UnixMicro(t).In(p.Location).Format(time.DateOnly) }

// WeekStart returns the Monday (YYYY-MM-DD) of the ISO week holding t, in the report time zone.
func (p *Params) WeekStart(t int64) string { return p.mondayStart(t).Format(time.DateOnly) }

// mondayStart returns the start of the ISO week holding t: its Monday, in the report time zone.
func (p *Params) mondayStart(t int64) time.Time {
	d := p.DayStart(t)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// Month returns the report-time-zone month of t as YYYY-MM.
func (p *Params) Month(t int64) string { return time.UnixMicro(t).In(p.Location).Format("2006-01") }

// dimension returns the index of the dimension named by, or -1.
func (p *Params) dimension(by string) int {
	for k, d := range p.Dimensions {
		if d == by {
			return k
		}
	}
	return -1
}
