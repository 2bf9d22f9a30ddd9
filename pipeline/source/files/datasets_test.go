package files_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/journeykpi/journeykpi"
	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/source/files"

	"github.com/journeykpi/journeykpi/internal/shareddata"
)

// TestOnlineRetailCSV reads the UCI Online Retail export (541,909 rows, gzip CSV with quoted
// commas) and checks the counts published for it.
func TestOnlineRetailCSV(t *testing.T) {
	path := shareddata.Path(t, "online-retail/online-retail-2010-12_2011-12.csv.gz")
	s, err := files.New(config.Files{Paths: []string{path}}, files.Options{Columns: []string{"CustomerID", "InvoiceNo"}})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu                         sync.Mutex
		rows, noCustomer, malformd int
		customers                  = map[string]bool{}
		invoices                   = map[string]bool{}
	)
	err = s.Read(context.Background(), time.Time{}, time.Time{}, func(rec arrow.Record) error {
		mu.Lock()
		defer mu.Unlock()
		cust := rec.Column(0).(*array.String)
		inv := rec.Column(1).(*array.String)
		bad := rec.Column(2).(*array.Boolean)
		for i := range int(rec.NumRows()) {
			rows++
			if bad.Value(i) {
				malformd++
			}
			if cust.IsNull(i) {
				noCustomer++
			} else {
				customers[cust.Value(i)] = true
			}
			invoices[inv.Value(i)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rows != 541909 || noCustomer != 135080 || len(customers) != 4372 || len(invoices) != 25900 || malformd != 0 {
		t.Errorf("rows %d, without customer %d, customers %d, invoices %d, malformed %d; want 541909, 135080, 4372, 25900, 0",
			rows, noCustomer, len(customers), len(invoices), malformd)
	}
}

// TestBundledSampleThroughEmbed reads the sample the binary embeds, as the built-in example does.
func TestBundledSampleThroughEmbed(t *testing.T) {
	cfg, err := config.Example()
	if err != nil {
		t.Fatal(err)
	}
	s, err := files.New(cfg.Source.Files, files.Options{FS: journeykpi.Sample(), BatchRows: 4096})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var rows int64
	err = s.Read(context.Background(), time.Time{}, time.Time{}, func(rec arrow.Record) error {
		if _, ok := rec.Column(rec.Schema().FieldIndices("event_name")[0]).(*array.Dictionary); !ok {
			t.Error("event_name is not read as a dictionary")
		}
		mu.Lock()
		rows += rec.NumRows()
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rows != 25140 {
		t.Errorf("read %d rows of the bundled sample, want 25140", rows)
	}
	spend, err := files.New(cfg.Source.Spend.Files, files.Options{FS: journeykpi.Sample()})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := spend.Schema(context.Background())
	if err != nil || sc.NumFields() != 7 || sc.Field(0).Name != "date" || sc.Field(3).Name != "impressions" || sc.Field(5).Name != "cost" {
		t.Errorf("spend schema %v, %v", sc, err)
	}
}
