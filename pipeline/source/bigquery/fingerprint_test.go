package bigquery_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/internal/bqfake"
)

// TestFingerprintFollowsTheTablesLastModifiedTime: the fingerprint comes from the tables the dry
// run references and their last-modified times (tables.get); it changes when a table is modified
// and runs no billed query.
func TestFingerprintFollowsTheTablesLastModifiedTime(t *testing.T) {
	srv := newServer(t)
	recs := events(t, 10, 7)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	srv.SetTable("proj.marketing.events", &bqfake.Table{Records: recs, Modified: t0})
	srv.SetTable("proj.marketing.orders", &bqfake.Table{Records: recs, Modified: t0})
	srv.SetResult(&bqfake.Table{Records: recs, Referenced: []string{"proj.marketing.orders", "proj.marketing.events"}})
	o := tableOptions()
	o.Config.Table = ""
	o.Config.Query = "SELECT * FROM `proj.marketing.events` JOIN `proj.marketing.orders` USING (order_id)"
	src := open(t, srv, o)
	ctx := context.Background()
	fp1, err := src.Fingerprint(ctx, rangeStart, rangeEnd)
	if err != nil || !strings.HasPrefix(fp1, "bigquery:") {
		t.Fatalf("fingerprint %q, %v", fp1, err)
	}
	if fp, _ := src.Fingerprint(ctx, rangeStart, rangeEnd); fp != fp1 {
		t.Errorf("same tables, different fingerprints %q %q", fp, fp1)
	}
	srv.SetTable("proj.marketing.orders", &bqfake.Table{Records: recs, Modified: t0.Add(time.Hour)})
	if fp, _ := src.Fingerprint(ctx, rangeStart, rangeEnd); fp == fp1 {
		t.Error("a modified table left the fingerprint as it was")
	}
	for _, j := range srv.Jobs() {
		if !j.DryRun {
			t.Errorf("fingerprint ran a billed query: %s", j.SQL)
		}
	}
	if n := srv.Calls(bqfake.TablesGet); n != 6 {
		t.Errorf("tables.get calls = %d, want 6 (two tables, three fingerprints)", n)
	}
	// A statement that references no table cannot tell.
	srv.SetResult(&bqfake.Table{Records: recs})
	if fp, err := src.Fingerprint(ctx, rangeStart, rangeEnd); fp != "" || err != nil {
		t.Errorf("no referenced table: %q, %v", fp, err)
	}
}
