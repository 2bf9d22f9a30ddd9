package main

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/journeykpi/journeykpi/internal/shareddata"
	"github.com/journeykpi/journeykpi/kpi"
)

// realReport is what the real-data tests read back from a report's JSON: the report itself.
type realReport = kpi.Result

// plainNumbers are a report period's numbers computed straight from a raw file.
type plainNumbers struct {
	rows, filtered, duplicates, customers int64
	purchasers, orders                    int64
	revenue                               float64
}

// runReal runs `journeykpi run` on one of the shipped configs of testdata/real from the
// repository root, as the README tells users to, and returns its JSON report. The configs reach
// the shared datasets by the relative path ../shared; with JOURNEYKPI_SHARED set elsewhere, a
// copy of the config points there instead.
func runReal(t *testing.T, name, dataset string) realReport {
	t.Helper()
	shareddata.Path(t, dataset) // skips, saying why, when the data are absent
	root := moduleRoot(t)
	cfg := filepath.Join("testdata", "real", name+".yaml")
	if dir := os.Getenv("JOURNEYKPI_SHARED"); dir != "" {
		b, err := os.ReadFile(filepath.Join(root, cfg))
		if err != nil {
			t.Fatal(err)
		}
		cfg = filepath.Join(t.TempDir(), name+".yaml")
		if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(string(b), `"../shared/`, `"`+dir+"/")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(root)
	out := t.TempDir()
	code, stdout, stderr := runCmd(t, "run", "--config", cfg, "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep realReport
	b, err := os.ReadFile(strings.TrimSpace(strings.Split(stdout, "\n")[1]))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// check compares the report with the plain computation.
func (want plainNumbers) check(t *testing.T, got realReport) {
	t.Helper()
	q := got.DataQuality
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"rows read", q.RowsRead, want.rows}, {"rows filtered", q.RowsFiltered, want.filtered},
		{"rows rejected", q.RowsRejected, 0}, {"duplicates", q.Duplicates, want.duplicates},
		{"customers", q.Customers, want.customers}, {"purchasers", got.Repeat.Purchasers, want.purchasers},
		{"orders", got.Repeat.Orders, want.orders},
	} {
		if c.got != c.want {
			t.Errorf("%s: report %d, plain computation %d", c.name, c.got, c.want)
		}
	}
	if math.Abs(got.Repeat.Revenue-want.revenue) > 0.005 {
		t.Errorf("revenue: report %.2f, plain computation %.2f", got.Repeat.Revenue, want.revenue)
	}
}

// TestOnlineRetailReadRaw runs testdata/real/online-retail.yaml over the raw UCI Online Retail
// file and checks it against a plain computation over the same file: rows without a CustomerID
// and cancelled invoices (C…) filtered out and counted; rows equal in every column the config
// maps (customer, time, invoice, product, line total, country) counted once, as the data contract
// counts exact duplicates (two lines of the file differ only in their Description); an invoice's
// revenue the sum of Quantity × UnitPrice over its lines; an invoice in the period when its first
// line is (the file's times are UK local times, the report's zone).
func TestOnlineRetailReadRaw(t *testing.T) {
	const file = "online-retail/online-retail-2010-12_2011-12.csv.gz"
	rep := runReal(t, "online-retail", file)
	f, err := os.Open(shareddata.Path(t, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(gz)
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	type invoice struct {
		first   string // the earliest line's InvoiceDate
		revenue float64
	}
	var want plainNumbers
	seen := map[string]bool{}
	invoices := map[[2]string]*invoice{}
	customers := map[string]bool{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want.rows++
		no, qty, when, price, cust := rec[0], rec[3], rec[4], rec[5], rec[6]
		if cust == "" || strings.HasPrefix(no, "C") {
			want.filtered++
			continue
		}
		q, _ := strconv.ParseFloat(qty, 64)
		p, _ := strconv.ParseFloat(price, 64)
		if key := strings.Join([]string{cust, when, no, rec[1], strconv.FormatFloat(q*p, 'g', -1, 64), rec[7]}, "\x1f"); seen[key] {
			want.duplicates++
			continue
		} else {
			seen[key] = true
		}
		customers[cust] = true
		inv := invoices[[2]string{cust, no}]
		if inv == nil {
			inv = &invoice{first: when}
			invoices[[2]string{cust, no}] = inv
		}
		inv.first = min(inv.first, when)
		inv.revenue += q * p
	}
	want.customers = int64(len(customers))
	purchasers := map[string]bool{}
	for k, inv := range invoices {
		if day := inv.first[:10]; day >= "2011-09-01" && day <= "2011-11-30" {
			purchasers[k[0]] = true
			want.orders++
			want.revenue += inv.revenue
		}
	}
	want.purchasers = int64(len(purchasers))
	if want.rows != 541909 || want.rows-want.filtered != 397924 || want.customers != 4339 {
		t.Fatalf("plain computation: %d rows, %d after the filters, %d customers; the dataset's documentation says 541,909, 397,924 and 4,339",
			want.rows, want.rows-want.filtered, want.customers)
	}
	want.check(t, rep)
	for _, w := range rep.Warnings {
		if w.Code == "orders_look_like_lines" {
			t.Errorf("warned that orders look like lines under order_lines: sum")
		}
	}
}

// cdnowPlain computes a report period's numbers from a raw CDNOW file: whitespace-separated, the
// customer in column cust, the YYYYMMDD date in column date, dollars in column dollars; every
// transaction is an order. A transaction equal to another in customer, date and dollars (the
// columns the config maps) counts once; such duplicates are counted among the rows the report
// reads, up to readEnd (exclusive): the day after the period plus the funnel horizon.
func cdnowPlain(t *testing.T, path string, header bool, cust, date, dollars int, from, to, readEnd string) plainNumbers {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if header {
		sc.Scan()
	}
	var want plainNumbers
	seen := map[string]bool{}
	customers, purchasers := map[string]bool{}, map[string]bool{}
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		want.rows++
		if key := fields[cust] + " " + fields[date] + " " + fields[dollars]; seen[key] {
			if fields[date] < readEnd {
				want.duplicates++
			}
			continue
		} else {
			seen[key] = true
		}
		customers[fields[cust]] = true
		if d := fields[date]; d >= from && d <= to {
			v, _ := strconv.ParseFloat(fields[dollars], 64)
			purchasers[fields[cust]] = true
			want.orders++
			want.revenue += v
		}
	}
	want.customers, want.purchasers = int64(len(customers)), int64(len(purchasers))
	return want
}

// TestCDNOWReadRaw runs testdata/real/cdnow.yaml over the raw whitespace-separated CDNOW master
// file with its YYYYMMDD dates and checks it against a plain computation.
func TestCDNOWReadRaw(t *testing.T) {
	const file = "cdnow/CDNOW_master.txt"
	rep := runReal(t, "cdnow", file)
	want := cdnowPlain(t, shareddata.Path(t, file), true, 0, 1, 3, "19970701", "19970930", "19971031")
	if want.rows != 69659 || want.customers != 23570 {
		t.Fatalf("plain computation: %d rows, %d customers; the dataset's documentation says 69,659 and 23,570", want.rows, want.customers)
	}
	want.check(t, rep)
}

// TestCDNOWSampleReadRaw runs testdata/real/cdnow-sample.yaml over the raw CDNOW sample (no
// header line), checks it against a plain computation, and its BG/NBD fit against Fader, Hardie &
// Lee (2005): r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4, calibration through
// 1997-09-30.
func TestCDNOWSampleReadRaw(t *testing.T) {
	const file = "cdnow/CDNOW_sample.txt"
	rep := runReal(t, "cdnow-sample", file)
	want := cdnowPlain(t, shareddata.Path(t, file), false, 1, 2, 4, "19970701", "19970930", "19971031")
	if want.rows != 6919 || want.customers != 2357 {
		t.Fatalf("plain computation: %d rows, %d customers; the dataset's documentation says 6,919 and 2,357", want.rows, want.customers)
	}
	want.check(t, rep)
	fit := rep.Repeat.BGNBD
	if fit == nil || !fit.Converged || fit.Customers != 2357 {
		t.Fatalf("BG/NBD: %+v, want a converged fit over 2357 customers", fit)
	}
	for _, c := range []struct {
		name      string
		got       *float64
		published float64
	}{
		{"r", fit.R, 0.243}, {"alpha", fit.Alpha, 4.414}, {"a", fit.A, 0.793}, {"b", fit.B, 2.426},
	} {
		if c.got == nil || math.Abs(*c.got-c.published) > 0.0005*math.Max(1, c.published) {
			t.Errorf("%s = %v, published %v", c.name, c.got, c.published)
		}
	}
	// The paper prints the log-likelihood to one decimal.
	if ll := fit.LogLikelihood; ll == nil || math.Abs(*ll+9582.4) > 0.05 {
		t.Errorf("log-likelihood %v, published −9582.4", ll)
	}
	// The Gamma-Gamma spend model beside it, against Fader & Hardie's note: p = 6.25, q = 3.74,
	// γ = 15.44. The file's 12 exactly repeated lines are one row each here, as the data contract
	// counts duplicates, while the note's summary counts both (one customer's mean moves): p and γ
	// come out 0.026 and 0.09 off. pipeline's TestSpendModelCDNOWThroughThePipeline, each line an
	// order of its own, gives the note's values to their printed digits.
	sm := rep.Repeat.SpendModel
	if sm == nil || !sm.Converged || sm.Customers != 946 {
		t.Fatalf("spend model %+v, want converged over the 946 who bought again", sm)
	}
	for _, c := range []struct {
		name           string
		got            *float64
		published, tol float64
	}{{"p", sm.P, 6.25, 0.03}, {"q", sm.Q, 3.74, 0.01}, {"gamma", sm.Gamma, 15.44, 0.1}} {
		if c.got == nil || math.Abs(*c.got-c.published) > c.tol {
			t.Errorf("spend model %s = %v, published %v", c.name, c.got, c.published)
		}
	}
}
