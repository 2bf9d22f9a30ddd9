package kpi

import (
	"bufio"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cdnowJourneys reads the raw CDNOW sample transactions (one row a purchase: master id, sample
// id, YYYYMMDD, CDs, dollars) into one journey per sample customer, each purchase its own order.
func cdnowJourneys(t testing.TB, dir string) []Journey {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "datasets", "cdnow", "CDNOW_sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byID := map[uint64]*Journey{}
	var order []uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		if len(fs) != 5 {
			t.Fatalf("CDNOW line %q: %d fields", sc.Text(), len(fs))
		}
		id, err := strconv.ParseUint(fs[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		day, err := time.Parse("20060102", fs[2])
		if err != nil {
			t.Fatal(err)
		}
		dollars, err := strconv.ParseFloat(fs[4], 64)
		if err != nil {
			t.Fatal(err)
		}
		j := byID[id]
		if j == nil {
			j = &Journey{Customer: id}
			byID[id] = j
			order = append(order, id)
		}
		j.Events = append(j.Events, Event{Time: day.UnixMicro(), Revenue: dollars, Stage: 1, Sentiment: float32(math.NaN())})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	out := make([]Journey, 0, len(order))
	for _, id := range order {
		j := byID[id]
		j.Events, _ = Normalize(j.Events)
		out = append(out, *j)
	}
	return out
}

// cdnowSummary reads the published calibration summary: sample id → (x, t_x, T) in weeks.
func cdnowSummary(t testing.TB, dir string) map[uint64][3]float64 {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "datasets", "cdnow", "cdnow_customers_summary_with_transactions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint64][3]float64{}
	for _, r := range rows[1:] {
		id, _ := strconv.ParseUint(r[0], 10, 64)
		var v [3]float64
		for i := range v {
			v[i], err = strconv.ParseFloat(r[1+i], 64)
			if err != nil {
				t.Fatal(err)
			}
		}
		out[id] = v
	}
	return out
}

func TestBGNBDCDNOW(t *testing.T) {
	dir := repeatSharedDir(t)
	js := cdnowJourneys(t, dir)
	p := repeatParams(t, "1997-09-01", "1997-09-30")
	acc := newRepeatAcc(p, p.Current, true)
	for i := range js {
		acc.add(&js[i])
	}
	fit := fitBGNBD(acc.fit.customers)
	t.Logf("%+v", fit)
}
