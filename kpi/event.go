package kpi

import (
	"cmp"
	"math"
	"slices"
	"sort"
)

// MaxDims is how many dimensions of their own (country, device…) events carry.
const MaxDims = 3

// NoStage is Event.Stage for an event that no stage matches. Such events still count as touches
// for attribution and the journey map's touchpoint totals.
const NoStage int8 = -1

// Event is one touchpoint event of one customer, in the compact form the engine works on. String
// columns are codes into the run's Dicts; absent numbers are NaN.
type Event struct {
	// Time is when the contact happened, in Unix microseconds (UTC).
	Time int64
	// Revenue is the order value on purchase events; NaN when absent.
	Revenue float64
	// Order identifies the order on purchase-stage events: a 64-bit hash of order_id, or 0 when the
	// event has no order_id (such a purchase is its own order).
	Order uint64
	// Name, Touchpoint, Campaign, Segment and Line are codes in Dicts; code 0 is the empty string
	// (null). Line is the order line (product, SKU) of a line-item source.
	Name       uint32
	Touchpoint uint32
	Campaign   uint32
	Segment    uint32
	Line       uint32
	// Dims are the codes of the user's dimensions (Params.Dimensions) in Dicts.Dims.
	Dims [MaxDims]uint32
	// Sentiment is the customer's feeling at this contact in [-1, 1]; NaN when absent.
	Sentiment float32
	// Stage is the index of the matched stage in Params.Stages, or NoStage. The repeat stage is
	// derived and never set here: a repeat order carries the purchase stage.
	Stage int8
}

// HasRevenue reports whether the event carries a revenue value.
func (e *Event) HasRevenue() bool { return !math.IsNaN(e.Revenue) }

// HasSentiment reports whether the event carries a sentiment value.
func (e *Event) HasSentiment() bool { return !math.IsNaN(float64(e.Sentiment)) }

// attrSegment selects the segment in Event.attr; 0 … MaxDims−1 select a dimension.
const attrSegment = -1

// attr is a customer attribute the event carries (0: none): its segment (attrSegment) or its
// value of dimension a. Which events may give one to their customer is Params.attribute's rule.
func (e *Event) attr(a int) uint32 {
	if a == attrSegment {
		return e.Segment
	}
	return e.Dims[a]
}

// Journey is one customer's events, ordered by Compare, exact duplicates removed.
type Journey struct {
	// Customer is the stable customer key: the integer id, or a 64-bit hash of a string id.
	Customer uint64
	Events   []Event
}

// stageKey orders NoStage after every stage among events with the same time.
func stageKey(s int8) int { return int(uint8(s)) }

// Compare is the total order of events within a journey: time, then stage order (SPEC §2: events
// with the same timestamp are taken in stage order; unmatched events last), then every other
// column, so the order never depends on how the input was read. Codes compare as the strings they
// stand for once the Dicts are sorted (Dicts.Sort).
func Compare(a, b *Event) int {
	if c := cmp.Compare(a.Time, b.Time); c != 0 {
		return c
	}
	if c := cmp.Compare(stageKey(a.Stage), stageKey(b.Stage)); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Touchpoint, b.Touchpoint); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Campaign, b.Campaign); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Segment, b.Segment); c != 0 {
		return c
	}
	for k := range a.Dims {
		if c := cmp.Compare(a.Dims[k], b.Dims[k]); c != 0 {
			return c
		}
	}
	if c := cmp.Compare(a.Order, b.Order); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Line, b.Line); c != 0 {
		return c
	}
	if c := compareNaN(a.Revenue, b.Revenue); c != 0 {
		return c
	}
	return compareNaN(float64(a.Sentiment), float64(b.Sentiment))
}

// compareNaN orders NaN (absent) before every number.
func compareNaN(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return -1
	case bn:
		return 1
	}
	return cmp.Compare(a, b)
}

// Same reports whether a and b are equal in every column of the data contract, line_id
// included.
func Same(a, b *Event) bool { return Compare(a, b) == 0 }

// Normalize sorts events by Compare and removes exact duplicates in place. It returns the kept
// events and how many duplicates were removed.
func SortJourney(events []Event) ([]Event, int) {
	slices.SortFunc(events, func(a, b Event) int { return Compare(&a, &b) })
	if len(events) < 2 {
		return events, 0
	}
	out := events[:1]
	for i := 1; i < len(events); i++ {
		if !Same(&events[i], &out[len(out)-1]) {
			out = append(out, events[i])
		}
	}
	return out, len(events) - len(out)
}

// Dict interns the values of one string column. Code 0 is always the empty string (null). A Dict
// is not safe for concurrent use.
type Dict struct {
	names []string
	index map[string]uint32
}

// NewDict returns a Dict holding only the empty string.
func NewDict() *Dict { return &Dict{names: []string{""}, index: map[string]uint32{"": 0}} }

// Code returns s's code, adding it when new.
func (d *Dict) Code(s string) uint32 {
	if c, ok := d.index[s]; ok {
		return c
	}
	c := uint32(len(d.names))
	d.names = append(d.names, s)
	d.index[s] = c
	return c
}

// Lookup returns s's code and whether s is known.
func (d *Dict) Lookup(s string) (uint32, bool) {
	c, ok := d.index[s]
	return c, ok
}

// Name returns the string behind code c ("" when c is unknown).
func (d *Dict) Name(c uint32) string {
	if int(c) < len(d.names) {
		return d.names[c]
	}
	return ""
}

// Len is the number of codes, including the empty string.
func (d *Dict) Len() int { return len(d.names) }

// Sorted returns a Dict whose codes follow the strings' byte order and the remap from this
// Dict's codes to the new ones. Code 0 stays the empty string.
func (d *Dict) Sorted() (*Dict, []uint32) {
	order := make([]uint32, len(d.names))
	for i := range order {
		order[i] = uint32(i)
	}
	sort.Slice(order, func(i, j int) bool { return d.names[order[i]] < d.names[order[j]] })
	s := &Dict{names: make([]string, len(d.names)), index: make(map[string]uint32, len(d.names))}
	remap := make([]uint32, len(d.names))
	for newCode, old := range order {
		s.names[newCode] = d.names[old]
		s.index[d.names[old]] = uint32(newCode)
		remap[old] = uint32(newCode)
	}
	return s, remap
}

// Dicts are the dictionaries of a run's string columns.
type Dicts struct {
	EventName  *Dict
	Touchpoint *Dict
	Campaign   *Dict
	Segment    *Dict
	Line       *Dict
	Dims       [MaxDims]*Dict
}

// NewDicts returns empty dictionaries.
func NewDicts() *Dicts {
	d := &Dicts{EventName: NewDict(), Touchpoint: NewDict(), Campaign: NewDict(), Segment: NewDict(), Line: NewDict()}
	for k := range d.Dims {
		d.Dims[k] = NewDict()
	}
	return d
}

// NumDicts is how many dictionaries Dicts holds.
const NumDicts = 5 + MaxDims

// List returns the dictionaries in a fixed order: event names, touchpoints, campaigns, segments,
// lines, then the dimensions in order (for writing and reading them, as shards do).
func (d *Dicts) List() [NumDicts]*Dict {
	return [NumDicts]*Dict{d.EventName, d.Touchpoint, d.Campaign, d.Segment, d.Line, d.Dims[0], d.Dims[1], d.Dims[2]}
}

// List returns the code translations in the order of Dicts.List.
func (r *Remap) List() [NumDicts][]uint32 {
	return [NumDicts][]uint32{r.EventName, r.Touchpoint, r.Campaign, r.Segment, r.Line, r.Dims[0], r.Dims[1], r.Dims[2]}
}

// RemapOf is the Remap of translations in the order of Dicts.List.
func RemapOf(tr [NumDicts][]uint32) *Remap {
	return &Remap{EventName: tr[0], Touchpoint: tr[1], Campaign: tr[2], Segment: tr[3], Line: tr[4], Dims: [MaxDims][]uint32{tr[5], tr[6], tr[7]}}
}

// Remap translates codes from one set of Dicts to another (see Dicts.Sort).
type Remap struct {
	EventName, Touchpoint, Campaign, Segment, Line []uint32
	Dims                                           [MaxDims][]uint32
}

// Apply rewrites e's codes.
func (r *Remap) Apply(e *Event) {
	e.Name = r.EventName[e.Name]
	e.Touchpoint = r.Touchpoint[e.Touchpoint]
	e.Campaign = r.Campaign[e.Campaign]
	e.Segment = r.Segment[e.Segment]
	e.Line = r.Line[e.Line]
	for k, m := range r.Dims {
		if m != nil {
			e.Dims[k] = m[e.Dims[k]]
		}
	}
}

// Sort returns Dicts whose codes follow string order, and the Remap to apply to events coded with
// d. After it, comparing codes compares strings, so the order of events never depends on the
// order in which the input was read.
func (d *Dicts) Sort() (*Dicts, *Remap) {
	var s Dicts
	var r Remap
	s.EventName, r.EventName = d.EventName.Sorted()
	s.Touchpoint, r.Touchpoint = d.Touchpoint.Sorted()
	s.Campaign, r.Campaign = d.Campaign.Sorted()
	s.Segment, r.Segment = d.Segment.Sorted()
	s.Line, r.Line = d.Line.Sorted()
	for k := range d.Dims {
		s.Dims[k], r.Dims[k] = d.Dims[k].Sorted()
	}
	return &s, &r
}

// TouchpointName is the touchpoint's name for reports: "(none)" for the empty string (SPEC §1).
func (d *Dicts) TouchpointName(c uint32) string {
	if c == 0 {
		return NoneLabel
	}
	return d.Touchpoint.Name(c)
}

// SegmentName is the segment's name for reports: "(none)" for the empty string.
func (d *Dicts) SegmentName(c uint32) string {
	if c == 0 {
		return NoneLabel
	}
	return d.Segment.Name(c)
}

// DimName is the value of dimension k for reports: "(none)" for the empty string.
func (d *Dicts) DimName(k int, c uint32) string {
	if c == 0 {
		return NoneLabel
	}
	return d.Dims[k].Name(c)
}

// NoneLabel names an absent touchpoint or segment; OtherLabel the values beyond a top N.
const (
	NoneLabel  = "(none)"
	OtherLabel = "(other)"
)
