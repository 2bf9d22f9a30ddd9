package kpi

import (
	"compress/gzip"
	"encoding/csv"
	"hash/fnv"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/internal/shareddata"
)

// retailInvoice is one invoice of the UCI Online Retail data: lines summed, the earliest line's
// time.
type retailInvoice struct {
	no      string
	t       time.Time
	revenue float64
	country string
}

// retailInvoices reads the Online Retail CSV, without the rows lacking a CustomerID and the
// cancellations (InvoiceNo starting with C), into each customer's invoices.
func retailInvoices(t testing.TB, path string) (map[string][]*retailInvoice, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(gz)
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil { // header
		t.Fatal(err)
	}
	byCustomer := map[string][]*retailInvoice{}
	index := map[[2]string]*retailInvoice{}
	rows := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		no, qty, when, price, cust, country := rec[0], rec[3], rec[4], rec[5], rec[6], rec[7]
		if cust == "" || strings.HasPrefix(no, "C") {
			continue
		}
		rows++
		tt, err := time.Parse(time.DateTime, when)
		if err != nil {
			t.Fatal(err)
		}
		q, err1 := strconv.ParseFloat(qty, 64)
		pr, err2 := strconv.ParseFloat(price, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("row %v: %v %v", rec, err1, err2)
		}
		key := [2]string{cust, no}
		inv := index[key]
		if inv == nil {
			inv = &retailInvoice{no: no, t: tt, country: country}
			index[key] = inv
			byCustomer[cust] = append(byCustomer[cust], inv)
		}
		if tt.Before(inv.t) {
			inv.t = tt
		}
		inv.revenue += q * pr
	}
	return byCustomer, rows
}

// TestRepeatOnlineRetail checks customers, the repeat and returning rates and the monthly
// cohorts on the UCI Online Retail data against a plain computation over the invoices. The report
// period is the last three months, 2011-09-10..2011-12-09; the history of 365 days reaches back
// before the data's start.
func TestRepeatOnlineRetail(t *testing.T) {
	invoices, rows := retailInvoices(t, shareddata.Path(t, "online-retail/online-retail-2010-12_2011-12.csv.gz"))
	if rows != 397924 || len(invoices) != 4339 {
		t.Fatalf("%d rows and %d customers after the filters; the dataset's documentation says 397,924 and 4,339", rows, len(invoices))
	}

	// The journeys: one purchase event per invoice, the country as touchpoint.
	d := NewDicts()
	custs := make([]string, 0, len(invoices))
	for c := range invoices {
		custs = append(custs, c)
	}
	slices.Sort(custs)
	js := make([]Journey, 0, len(custs))
	for i, c := range custs {
		var evs []Event
		for _, inv := range invoices[c] {
			h := fnv.New64a()
			h.Write([]byte(inv.no))
			evs = append(evs, Event{Time: inv.t.UnixMicro(), Order: h.Sum64(), Revenue: inv.revenue, Stage: 1,
				Touchpoint: d.Touchpoint.Code(inv.country), Sentiment: float32(math.NaN())})
		}
		evs, _ = SortJourney(evs)
		js = append(js, Journey{Customer: uint64(i + 1), Events: evs})
	}
	p := repeatParams(t, "2011-09-10", "2011-12-09")
	cur, _ := repeatRun(p, d, js)

	// The plain computation.
	from := time.Date(2011, 9, 10, 0, 0, 0, 0, time.UTC)
	to := time.Date(2011, 12, 10, 0, 0, 0, 0, time.UTC)
	var purchasers, orders, repeaters, returning int64
	size := map[string]int64{}
	again := map[[2]string]int64{} // cohort, later month → customers
	for _, c := range custs {
		var in, before int
		first := invoices[c][0].t
		for _, inv := range invoices[c] {
			if inv.t.Before(first) {
				first = inv.t
			}
			switch {
			case !inv.t.Before(from) && inv.t.Before(to):
				in++
			case inv.t.Before(from):
				before++
			}
		}
		if in > 0 {
			purchasers++
			orders += int64(in)
			if in >= 2 {
				repeaters++
			}
			if before > 0 {
				returning++
			}
		}
		cohort := first.Format("2006-01")
		size[cohort]++
		months := map[string]bool{}
		for _, inv := range invoices[c] {
			if m := inv.t.Format("2006-01"); m != cohort {
				months[m] = true
			}
		}
		for m := range months {
			again[[2]string{cohort, m}]++
		}
	}

	if cur.Purchasers != purchasers || cur.Orders != orders {
		t.Errorf("purchasers %d orders %d, want %d %d", cur.Purchasers, cur.Orders, purchasers, orders)
	}
	if !repeatPtrEq(cur.RepeatPurchaseRate, Ratio(float64(repeaters), float64(purchasers))) ||
		!repeatPtrEq(cur.ReturningCustomerRate, Ratio(float64(returning), float64(purchasers))) {
		t.Errorf("repeat purchase rate %v returning %v, want %d/%d and %d/%d", repeatFmtPtr(cur.RepeatPurchaseRate),
			repeatFmtPtr(cur.ReturningCustomerRate), repeaters, purchasers, returning, purchasers)
	}
	if cur.BGNBD == nil || cur.BGNBD.Customers != 4339 {
		t.Errorf("BG/NBD customers = %+v, want 4339", cur.BGNBD)
	} else if !cur.BGNBD.Converged {
		t.Errorf("BG/NBD did not converge: %s", cur.BGNBD.Reason)
	} else {
		b := cur.BGNBD
		t.Logf("BG/NBD r %.4f alpha %.4f a %.4f b %.4f LL %.1f; next 90 days %.0f purchases, P(orders again) %.3f",
			*b.R, *b.Alpha, *b.A, *b.B, *b.LogLikelihood, *b.ExpectedPurchases, *b.POrdersAgain)
	}

	months := []string{"2010-12", "2011-01", "2011-02", "2011-03", "2011-04", "2011-05", "2011-06",
		"2011-07", "2011-08", "2011-09", "2011-10", "2011-11", "2011-12"}
	if len(cur.Cohorts) != len(months) {
		t.Fatalf("%d cohorts, want %d (%v)", len(cur.Cohorts), len(months), months)
	}
	var total int64
	for k, c := range cur.Cohorts {
		total += c.Size
		if c.Cohort != months[k] || c.Size != size[months[k]] {
			t.Errorf("cohort %d = %s size %d, want %s size %d", k, c.Cohort, c.Size, months[k], size[months[k]])
			continue
		}
		// 16 months from 2010-09 (from − 365 days) through 2011-12: 15 cells a row.
		if len(c.Retention) != 16-1 {
			t.Errorf("cohort %s: %d cells, want 15", c.Cohort, len(c.Retention))
			continue
		}
		for i, v := range c.Retention {
			later := k + 1 + i
			switch {
			case later >= len(months)-1: // 2011-12 (partial) or beyond
				if v != nil {
					t.Errorf("cohort %s cell %d = %g, want null", c.Cohort, i, *v)
				}
			case v == nil || !repeatPtrEq(v, Ptr(float64(again[[2]string{c.Cohort, months[later]}])/float64(c.Size))):
				t.Errorf("cohort %s cell %d (%s) = %v, want %d/%d", c.Cohort, i, months[later], repeatFmtPtr(v),
					again[[2]string{c.Cohort, months[later]}], c.Size)
			}
		}
	}
	if total != 4339 {
		t.Errorf("cohort sizes sum to %d, want 4339", total)
	}
	t.Logf("purchasers %d, orders %d, repeat rate %.4f, returning %.4f; 2010-12 cohort %d, retention 1 month on %.4f",
		purchasers, orders, *cur.RepeatPurchaseRate, *cur.ReturningCustomerRate, cur.Cohorts[0].Size, *cur.Cohorts[0].Retention[0])
}
