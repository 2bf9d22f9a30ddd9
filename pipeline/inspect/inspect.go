package inspect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/ingest"
	"github.com/journeykpi/journeykpi/pipeline/source"
)

// ProfileRows is how many rows inspect profiles without a scan of the whole source.
const ProfileRows = 100_000

// Inspection is what journeykpi inspect shows of a source: its first rows as the engine sees them,
// and a profile of its rows.
type Inspection struct {
	// Columns are the contract columns the rows show: those the config maps or derives.
	Columns []string       `json:"columns"`
	Rows    []InspectedRow `json:"rows"`
	Profile Profile        `json:"profile"`
	// Source describes what was read; Zone is the report time zone the times are shown in.
	Source string `json:"source"`
	Zone   string `json:"timezone"`
}

// InspectedRow is one source row as the mapping sees it.
type InspectedRow struct {
	// Verdict is "accepted", "filtered" (source.where), or the reason the row is rejected.
	Verdict string `json:"verdict"`
	// Values are the row's contract columns as text (times in the report time zone, the stage
	// matched, "(no stage)" for an event that matches none); a null is absent.
	Values map[string]string `json:"values"`
}

// Profile summarises the rows inspect read.
type Profile struct {
	// Scanned says every row of the source was read (with --scan, or a source of fewer than
	// ProfileRows rows); otherwise the profile covers its first ProfileRows.
	Scanned          bool             `json:"scanned"`
	RowsRead         int64            `json:"rows_read"`
	Accepted         int64            `json:"accepted"`
	Filtered         int64            `json:"filtered"`
	Rejected         int64            `json:"rejected"`
	RejectedByReason map[string]int64 `json:"rejected_by_reason"`
	// FirstEvent and LastEvent are the earliest and latest accepted event time, in the report
	// time zone; "" when no row was accepted.
	FirstEvent string `json:"first_event"`
	LastEvent  string `json:"last_event"`
	// Nulls counts, per contract column, the rows without a value: among accepted rows, plus the
	// rows rejected for lacking a required one.
	Nulls      map[string]int64 `json:"nulls"`
	EventNames []EventNameCount `json:"event_names"`
	Customers  int64            `json:"customers"`
}

// EventNameCount is one event name of the source: its accepted rows and the stage it matches.
type EventNameCount struct {
	Name string `json:"name"`
	Rows int64  `json:"rows"`
	// Stage is the stage its accepted rows matched, "" when none (the event is kept as a touch
	// only). With funnel.match: stage the stage column decides row by row, so a name may match
	// several: they are listed in stage order, joined by ", ".
	Stage string `json:"stage"`
}

// errEnough stops the read once inspect has the rows it needs.
var errEnough = errors.New("enough rows")

// Inspect reads the source cfg describes (src, or when nil the one source.OpenOrdered opens with
// fsys and log) through the real mapping: its first n rows as the engine sees them, and a
// profile of the first ProfileRows rows, or of every row with scan. It reads every time (no
// report range) and writes nothing.
func Inspect(ctx context.Context, cfg *config.Config, src source.Source, fsys fs.FS, log *slog.Logger, n int, scan bool) (*Inspection, error) {
	if src == nil {
		s, err := source.OpenOrdered(ctx, cfg, fsys, log)
		if err != nil {
			return nil, err
		}
		if c, ok := s.(source.Closer); ok {
			defer c.Close()
		}
		src = s
	}
	loc := cfg.Location()
	start := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	m := ingest.NewMapper(cfg, ingest.Range{Start: start, End: end, PeriodStart: start, PeriodEnd: end}, func([]ingest.Row) error { return nil })

	ins := &Inspection{Rows: []InspectedRow{}, Zone: loc.String()}
	p := &ins.Profile
	p.RejectedByReason = map[string]int64{}
	p.Nulls = map[string]int64{}
	dims := cfg.Source.Columns.Dimensions.Names()
	var (
		mu        sync.Mutex
		first     = int64(math.MaxInt64)
		last      = int64(math.MinInt64)
		customers = map[uint64]struct{}{}
		names     = map[uint32]int64{}
		// matched are, per event name, the stages its rows matched (bit k: stage k).
		matched = map[uint32]uint64{}
		shown   []ingest.Traced
		full    bool
	)
	m.Trace(func(rows []ingest.Traced) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range rows {
			if !scan && p.RowsRead >= ProfileRows {
				full = true
				return
			}
			p.RowsRead++
			if len(shown) < n {
				shown = append(shown, r)
			}
			switch r.Verdict {
			case "":
			case ingest.Filtered:
				p.Filtered++
				continue
			default:
				p.Rejected++
				p.RejectedByReason[r.Verdict]++
				continue
			}
			p.Accepted++
			ev := &r.Row.Ev
			first, last = min(first, ev.Time), max(last, ev.Time)
			customers[r.Row.Cust] = struct{}{}
			names[ev.Name]++
			if ev.Stage >= 0 && ev.Stage < 64 {
				matched[ev.Name] |= 1 << ev.Stage
			}
			countNulls(p.Nulls, ev, r.Order == "", dims)
		}
	})
	err := src.Read(ctx, start, end, func(rec arrow.Record) error {
		if err := m.Add(rec); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if full {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			err = fmt.Errorf("%w: %w", cerr, err)
		}
		return nil, fmt.Errorf("read %s: %w", source.Describe(src), err)
	}
	ins.Source = source.Describe(src)
	p.Scanned = !full // the read ended before the profile was full: it covers every row
	for c, reason := range requiredColumns {
		p.Nulls[c] += p.RejectedByReason[reason]
	}
	p.Customers = int64(len(customers))
	if p.Accepted > 0 {
		p.FirstEvent = time.UnixMicro(first).In(loc).Format(time.RFC3339)
		p.LastEvent = time.UnixMicro(last).In(loc).Format(time.RFC3339)
	}
	d := m.Dicts()
	stageName := func(s int8) string {
		if s == kpi.NoStage {
			return ""
		}
		return cfg.Stages[s].Name
	}
	for _, code := range slices.Sorted(maps.Keys(names)) {
		var seen []string
		for k := range cfg.Stages {
			if matched[code]&(1<<k) != 0 {
				seen = append(seen, cfg.Stages[k].Name)
			}
		}
		p.EventNames = append(p.EventNames, EventNameCount{Name: d.EventName.Name(code), Rows: names[code], Stage: strings.Join(seen, ", ")})
	}
	slices.SortStableFunc(p.EventNames, func(a, b EventNameCount) int { return cmp.Compare(b.Rows, a.Rows) })
	for _, r := range shown {
		ins.Rows = append(ins.Rows, inspectedRow(r, d, loc, stageName, dims))
	}
	ins.Columns = shownColumns(p, dims)
	return ins, nil
}

// requiredColumns are the contract columns a row is rejected without, with the reason: their
// nulls count the rejected rows too, so they are shares of the rows read, the others' of the
// accepted rows.
var requiredColumns = map[string]string{
	"customer_id": ingest.RejectCustomerMissing,
	"event_time":  ingest.RejectTimeMissing,
	"event_name":  ingest.RejectEventNameMissing,
}

// NullShareOf is the number of rows column c's nulls are a share of in p.
func (p *Profile) NullShareOf(c string) int64 {
	if _, ok := requiredColumns[c]; ok {
		return p.RowsRead
	}
	return p.Accepted
}

// optionalColumns are the contract columns a row may lack, in the order inspect shows them.
var optionalColumns = []string{"touchpoint", "campaign", "segment", "order_id", "revenue", "sentiment", "line_id"}

// countNulls counts the optional columns ev lacks (noOrder: it has no order_id).
func countNulls(nulls map[string]int64, ev *kpi.Event, noOrder bool, dims []string) {
	for _, c := range []struct {
		name string
		null bool
	}{
		{"event_name", ev.Name == 0}, {"touchpoint", ev.Touchpoint == 0}, {"campaign", ev.Campaign == 0},
		{"segment", ev.Segment == 0}, {"order_id", noOrder}, {"revenue", !ev.HasRevenue()},
		{"sentiment", !ev.HasSentiment()}, {"line_id", ev.Line == 0},
	} {
		if c.null {
			nulls[c.name]++
		}
	}
	for k, d := range dims {
		if ev.Dims[k] == 0 {
			nulls[d]++
		}
	}
}

// shownColumns are the columns inspect's rows show: the required ones and the matched stage,
// then the optional ones and the dimensions that some accepted row has.
func shownColumns(p *Profile, dims []string) []string {
	cols := []string{"customer_id", "event_time", "event_name", "stage"}
	for _, c := range append(slices.Clone(optionalColumns), dims...) {
		if p.Nulls[c] < p.Accepted {
			cols = append(cols, c)
		}
	}
	return cols
}

// inspectedRow writes a traced row's contract columns as text.
func inspectedRow(r ingest.Traced, d *kpi.Dicts, loc *time.Location, stageName func(int8) string, dims []string) InspectedRow {
	out := InspectedRow{Verdict: r.Verdict, Values: map[string]string{}}
	if r.Verdict == "" {
		out.Verdict = "accepted"
	}
	set := func(k, v string) {
		if v != "" {
			out.Values[k] = v
		}
	}
	set("customer_id", r.Customer)
	if r.Verdict != "" {
		return out
	}
	ev := &r.Row.Ev
	set("event_time", time.UnixMicro(ev.Time).In(loc).Format(time.RFC3339Nano))
	set("event_name", d.EventName.Name(ev.Name))
	if st := stageName(ev.Stage); st != "" {
		set("stage", st)
	} else {
		set("stage", "(no stage)")
	}
	set("touchpoint", d.Touchpoint.Name(ev.Touchpoint))
	set("campaign", d.Campaign.Name(ev.Campaign))
	set("segment", d.Segment.Name(ev.Segment))
	set("order_id", r.Order)
	if ev.HasRevenue() {
		set("revenue", strconv.FormatFloat(ev.Revenue, 'f', -1, 64))
	}
	if ev.HasSentiment() {
		set("sentiment", strconv.FormatFloat(float64(ev.Sentiment), 'f', -1, 32))
	}
	set("line_id", d.Line.Name(ev.Line))
	for k, name := range dims {
		set(name, d.Dims[k].Name(ev.Dims[k]))
	}
	return out
}
