package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/journeykpi/journeykpi/pipeline/inspect"
)

// inspectFixture writes a small line-item CSV and a config that derives, filters and matches
// stages, and returns the config's path.
func inspectFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	csv := "cust;ts;kind;order;qty;price\n" +
		"a;01/03/2026 09:00;visit;;;\n" +
		"a;01/03/2026 10:00;;o1;2;10\n" +
		"b;02/03/2026 11:00;scroll;;;\n" +
		";02/03/2026 12:00;visit;;;\n" +
		"c;02/03/2026 12:00;;C1;1;5\n" +
		"d;yesterday;visit;;;\n"
	if err := os.WriteFile(filepath.Join(dir, "events.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `source:
  files: {paths: ["` + filepath.Join(dir, "events.csv") + `"], csv: {delimiter: ";"}}
  columns: {customer_id: cust, event_time: ts, order_id: order}
  time_format: "%d/%m/%Y %H:%M"
  derive: {event_name: "kind ?? 'purchase'", revenue: "kind == nil ? float(qty) * float(price) : nil"}
  where: "order == nil || !(order startsWith 'C')"
stages:
  - {name: visit, events: [visit]}
  - {name: purchase, events: [purchase], purchase: true}
report: {timezone: Europe/Berlin}
`
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInspectShowsRowsAsTheEngineSeesThem(t *testing.T) {
	cfg := inspectFixture(t)
	code, out, stderr := runCmd(t, "inspect", "--config", cfg, "--rows", "5")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{
		"first 5 rows as the engine sees them (times in Europe/Berlin)",
		"1 accepted a 2026-03-01T09:00:00+01:00 visit visit - -",
		"2 accepted a 2026-03-01T10:00:00+01:00 purchase purchase o1 20",
		"3 accepted b 2026-03-02T11:00:00+01:00 scroll (no stage) - -",
		"4 customer_id_missing - - - - - -",
		"5 filtered c",
		"profile of the whole source",
		"rows read 6 accepted 3 filtered 1 (source.where) rejected 2 customer_id_missing 1 event_time_unparseable 1",
		"customers 2",
		"scroll 1 (no stage: kept as a touch only)",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = runCmd(t, "inspect", "--config", cfg, "--rows", "2", "--json")
	var ins inspect.Inspection
	if code != exitOK || json.Unmarshal([]byte(out), &ins) != nil {
		t.Fatalf("exit %d, JSON %q", code, out)
	}
	if len(ins.Rows) != 2 || ins.Rows[1].Values["revenue"] != "20" || ins.Profile.Accepted != 3 ||
		ins.Profile.RejectedByReason["customer_id_missing"] != 1 || len(ins.Profile.EventNames) != 3 {
		t.Errorf("JSON: %+v", ins)
	}
}

func TestInspectErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	os.WriteFile(p, []byte(`source: {files: {paths: ["`+filepath.Join(dir, "none-*.csv")+`"]}}`), 0o644)
	if code, _, stderr := runCmd(t, "inspect", "--config", p); code != exitUsage || !strings.Contains(stderr, "no file matches") {
		t.Errorf("missing file: exit %d, %s", code, stderr)
	}
	// A file that is not its format is the file's to fix, not the config's: exit 1, as for run.
	os.WriteFile(filepath.Join(dir, "events.parquet"), []byte("customer_id,event_time,event_name\nc1,2026-03-02T10:00:00Z,page_view\n"), 0o644)
	os.WriteFile(p, []byte(`source: {files: {paths: ["`+filepath.Join(dir, "events.parquet")+`"]}}`), 0o644)
	for _, cmd := range []string{"inspect", "validate"} {
		if code, _, stderr := runCmd(t, cmd, "--config", p); code != exitFailed || !strings.Contains(stderr, "not a Parquet file") {
			t.Errorf("%s, CSV named .parquet: exit %d, %s", cmd, code, stderr)
		}
	}
	if code, _, stderr := runCmd(t, "inspect", "--rows", "-1"); code != exitUsage || !strings.Contains(stderr, "--rows") {
		t.Errorf("bad --rows: exit %d, %s", code, stderr)
	}
}

// With funnel.match: stage the stage column decides, so inspect's event names show the stages
// their rows matched (one name may be in several), not the stages' event lists, which are empty.
func TestInspectEventNamesWithAStageColumn(t *testing.T) {
	dir := t.TempDir()
	csv := "customer_id,event_time,event_name,stage\n" +
		"a,2026-03-01 09:00,page_view,awareness\n" +
		"a,2026-03-01 10:00,page_view,interest\n" +
		"b,2026-03-02 11:00,order,purchase\n" +
		"b,2026-03-02 12:00,scroll,browse\n"
	if err := os.WriteFile(filepath.Join(dir, "events.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `source:
  files: {paths: ["` + filepath.Join(dir, "events.csv") + `"]}
  columns: {stage: stage}
funnel: {match: stage}
stages:
  - {name: awareness}
  - {name: interest}
  - {name: purchase, purchase: true}
`
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCmd(t, "inspect", "--config", p, "--json")
	var ins inspect.Inspection
	if code != exitOK || json.Unmarshal([]byte(out), &ins) != nil {
		t.Fatalf("exit %d, JSON %q, %s", code, out, stderr)
	}
	got := map[string]string{}
	for _, n := range ins.Profile.EventNames {
		got[n.Name] = n.Stage
	}
	// scroll's row has a label of no stage: rejected, so no event name of the profile.
	want := map[string]string{"page_view": "awareness, interest", "order": "purchase"}
	if !maps.Equal(got, want) {
		t.Errorf("event names' stages %v, want %v", got, want)
	}
}

// The nulls of a required column count the rows rejected for lacking it, so they are a share of
// the rows read: three rows of four without an event name are 75%, not three times the one row
// accepted.
func TestInspectRequiredNullsAreSharesOfTheRowsRead(t *testing.T) {
	dir := t.TempDir()
	csv := "customer_id,event_time,event_name\n" +
		"a,2026-03-01 09:00,page_view\n" +
		"a,2026-03-01 10:00,\n" +
		"b,2026-03-02 11:00,\n" +
		"c,2026-03-02 12:00,\n"
	if err := os.WriteFile(filepath.Join(dir, "events.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "c.yaml")
	cfg := "source:\n  files: {paths: [\"" + filepath.Join(dir, "events.csv") + "\"]}\nstages:\n  - {name: visit, events: [page_view]}\n  - {name: purchase, events: [purchase], purchase: true}\n"
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCmd(t, "inspect", "--config", p)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if flat := strings.Join(strings.Fields(out), " "); !strings.Contains(flat, "event_name 3 75.0%") {
		t.Errorf("output lacks event_name 3 75.0%%:\n%s", out)
	}
}
