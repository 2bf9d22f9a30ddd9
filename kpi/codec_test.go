package kpi

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// TestAccCodecRoundTrip: accumulators written and read back hold the same state (written again,
// the same bytes), and merging the decoded ones gives the state of merging the originals; a
// truncated or foreign form is an error, never a short accumulator.
func TestAccCodecRoundTrip(t *testing.T) {
	f := newRepeatFixture(t)
	js := repeatRandomJourneys(f, 600, 7)
	for k := range js {
		for i := range js[k].Events {
			js[k].Events[i].Revenue += 0.01 * float64(1+i%97)
		}
	}
	p := repeatParams(t, "2024-03-01", "2024-03-31")
	p.Breakdowns = []string{byFirstTouchpoint, bySegment, byEntryWeek}
	p.ResponseSeries = true
	parts := make([]*Acc, 3)
	for k := range parts {
		parts[k] = NewAcc(p)
	}
	for i := range js {
		parts[i%len(parts)].Add(&js[i])
	}
	want, got := NewAcc(p), NewAcc(p)
	for _, a := range parts {
		b := a.AppendBinary(nil)
		d, err := DecodeAcc(p, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if again := d.AppendBinary(nil); !bytes.Equal(again, b) {
			t.Fatalf("decoded accumulator writes %d bytes, want the %d it was read from", len(again), len(b))
		}
		if _, err := DecodeAcc(p, b[:len(b)-3], nil); err == nil {
			t.Error("a truncated accumulator decodes without error")
		}
		want.Merge(a)
		got.Merge(d)
	}
	if w, g := want.AppendBinary(nil), got.AppendBinary(nil); !bytes.Equal(w, g) {
		t.Error("merging decoded accumulators gives another state than merging the originals")
	}
	if want.cur.repeat.all.purchasers == 0 || len(want.cur.attr.credits) == 0 || want.cur.funnel.all.entrants == 0 || len(want.series.days) == 0 {
		t.Fatal("the journeys do not exercise the accumulators")
	}
	if _, err := DecodeAcc(p, []byte("not an accumulator"), nil); err == nil {
		t.Error("foreign bytes decode without error")
	}
	q := repeatParams(t, "2024-03-01", "2024-04-30") // other trend buckets
	if _, err := DecodeAcc(q, parts[0].AppendBinary(nil), nil); err == nil {
		t.Error("an accumulator decodes under other parameters")
	}
}

// TestAccCodecCoversEveryField fails when an accumulator gains a field, so that whoever adds it
// says whether the binary form must carry it (state merged into a report) or not (parameters,
// scratch space): shards would otherwise merge into another report than one run's.
func TestAccCodecCoversEveryField(t *testing.T) {
	known := map[string]string{
		"Acc":            "p cur prev ya slots keys orders resent series differ",
		"seriesAcc":      "p attr first days",
		"dayCredit":      "rev",
		"periodAcc":      "per eval funnel jmap trends repeat attr",
		"slotAcc":        "eval funnel repeat",
		"funnelAcc":      "p sp weeks all dims dimOf open seen mix light groupsNoDur entries",
		"entryCount":     "entrants purchasers revenue",
		"funnelCounts":   "entrants completed dropped inProgress reached drop prog mature dur noDur",
		"journeyMapAcc":  "p sp cells journey dims",
		"mapCell":        "customers events sentN sentSum sentSq sentCustomers stamp nextMature nextReached",
		"trendsAcc":      "p per sp granularity b points revenue",
		"fixedSum":       "hi lo",
		"repeatAcc":      "p per current purchase light all bySeg byTP byDim cohorts fit",
		"repeatTally":    "purchasers orders repeaters returning revenue days money",
		"MoneySums":      "r r2 o o2 ro invalid",
		"cohortAcc":      "p bounds size again",
		"bgnbdAcc":       "p toDay customers revenue orders",
		"bgnbdCustomer":  "x tx T seg tp acquired revenue mean",
		"attributionAcc": "p per purchase conversions nullPaths revenue credits markov serial lastSeen path times weights",
		"touchCredit":    "conv rev reached",
		"markovCounts":   "start conv null convRev side dense sparse",
		"exactSum":       "partials",
	}
	for _, v := range []any{Acc{}, periodAcc{}, slotAcc{}, funnelAcc{}, funnelCounts{}, journeyMapAcc{}, mapCell{}, trendsAcc{},
		repeatAcc{}, repeatTally{}, MoneySums{}, fixedSum{}, cohortAcc{}, bgnbdAcc{}, bgnbdCustomer{}, attributionAcc{}, touchCredit{},
		markovCounts{}, exactSum{}, seriesAcc{}, dayCredit{}, entryCount{}} {
		typ := reflect.TypeOf(v)
		var names []string
		for i := range typ.NumField() {
			names = append(names, typ.Field(i).Name)
		}
		if got := strings.Join(names, " "); got != known[typ.Name()] {
			t.Errorf("%s has fields %q, the codec knows %q: carry the new state in codec.go (and bump accMagic), then list it here",
				typ.Name(), got, known[typ.Name()])
		}
	}
}
