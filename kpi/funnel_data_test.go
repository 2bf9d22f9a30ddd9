package kpi

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/internal/shareddata"
)

// cdnowMasterJourneys reads CDNOW_master.txt: one purchase a row (customer, YYYYMMDD, CDs, dollars),
// each row its own order.
func cdnowMasterJourneys(t *testing.T) []Journey {
	f, err := os.Open(shareddata.Path(t, "cdnow/CDNOW_master.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byCustomer := map[uint64][]Event{}
	var order []uint64
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 4 {
			t.Fatalf("bad line %q", sc.Text())
		}
		id, err1 := strconv.ParseUint(fields[0], 10, 64)
		day, err2 := time.Parse("20060102", fields[1])
		dollars, err3 := strconv.ParseFloat(fields[3], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		if byCustomer[id] == nil {
			order = append(order, id)
		}
		byCustomer[id] = append(byCustomer[id], Event{Time: day.UnixMicro(), Stage: 0, Revenue: dollars, Sentiment: float32(nanF())})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	js := make([]Journey, 0, len(order))
	for _, id := range order {
		ev, _ := SortJourney(byCustomer[id])
		js = append(js, Journey{Customer: id, Events: ev})
	}
	return js
}

func nanF() float64 { return math.NaN() }

// TestFunnelCDNOW runs the purchase-first funnel on the CDNOW cohort: 23,570 customers whose first
// purchase fell in Q1 1997 (SOURCE.md), so all of them enter in Q1, and the engine agrees with the
// reference on every journey small enough for it.
func TestFunnelCDNOW(t *testing.T) {
	js := cdnowMasterJourneys(t)
	from := time.Date(1997, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	to := time.Date(1997, 4, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	p := &Params{
		Stages:   []StageDef{{Name: "purchase", Purchase: true}, {Name: "repeat", Repeat: true, Within: 90 * Day}},
		Window:   30 * Day,
		Current:  Period{From: from, To: to},
		Previous: Period{From: from - (to - from), To: from},
		DataEnd:  dataEnd(js), Location: time.UTC,
		Breakdowns: []string{"entry_week"}, Top: 20, MinCustomers: 1, PainPoints: 3,
	}
	d := NewDicts()
	got := engineRun(p, p.Current, d, js, 4)
	if got.funnel.Entrants != 23570 {
		t.Errorf("entrants = %d, want the cohort's 23570", got.funnel.Entrants)
	}
	if got.funnel.Open[0].Customers != 23570 {
		t.Errorf("open purchase = %d, want 23570", got.funnel.Open[0].Customers)
	}
	checkInvariants(t, &got.funnel)
	if got.funnel.InProgress != 0 || got.funnel.Completed == 0 {
		t.Errorf("completed %d in progress %d: every Q1 repeat window closed long before mid-1998", got.funnel.Completed, got.funnel.InProgress)
	}
	var small []Journey
	for _, j := range js {
		if len(j.Events) <= 30 {
			small = append(small, j)
		}
	}
	want := refCompute(p, p.Current, d, small)
	sub := engineRun(p, p.Current, d, small, 3)
	if g, w := mustJSON(t, sub.funnel), mustJSON(t, want.funnel); g != w {
		t.Errorf("engine and reference differ on CDNOW:\n got %.3000s\nwant %.3000s", g, w)
	}
	if g, w := mustJSON(t, sub.trends), mustJSON(t, want.trends); g != w {
		t.Errorf("trends differ on CDNOW")
	}
	t.Logf("CDNOW Q1 1997: %d entrants, %d repeat within 90 days (%.1f%%), %d dropped",
		got.funnel.Entrants, got.funnel.Completed, 100*float64(got.funnel.Completed)/float64(got.funnel.Entrants), got.funnel.Dropped)
}
