package kpi

import (
	"bytes"
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
	if want.cur.repeat.all.purchasers == 0 || len(want.cur.attr.credits) == 0 || want.cur.funnel.all.entrants == 0 {
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
