package config

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestExampleIsValid(t *testing.T) {
	c, err := Example()
	if err != nil {
		t.Fatal(err)
	}
	if c.Source.Kind != "files" || len(c.Stages) != 7 || c.Report.Out != "out" {
		t.Errorf("unexpected example: %+v", c)
	}
	// The shipped file and the embedded one are the same text.
	b, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(ExampleYAML()) {
		t.Error("config/example.yaml differs from the embedded example")
	}
}

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	c.Source.Files.Paths = []string{"events.parquet"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.Horizon(); got != 120*24*time.Hour {
		t.Errorf("horizon = %v, want 120d (W + repeat within 90d)", got)
	}
}

func TestUnknownKeyNamesIt(t *testing.T) {
	_, err := Parse(strings.NewReader("source:\n  kind: files\n  files: {paths: [a.csv]}\nfunnel:\n  windw: 30d\n"))
	if err == nil {
		t.Fatal("want an error for the typo'd key")
	}
	for _, want := range []string{"windw", "line 5"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestValidateReportsEveryProblemWithItsKey(t *testing.T) {
	yaml := `
source: {kind: files, files: {paths: [a.csv], format: xlsx}}
stages:
  - {name: awareness, events: [page_view]}
  - {name: awareness, events: [page_view]}
  - {name: buy, events: [purchase], purchase: true, within: -1h}
funnel: {window: 30d, breakdowns: [colour], top: 0}
quality: {max_reject_ratio: 2}
report: {timezone: Mars/Olympus, currency: euro}
schedule: {cron: "every night", period: yesterday}
`
	_, err := Parse(strings.NewReader(yaml))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, key := range []string{
		"source.files.format", "stages[1].name", "stages[1].events[0]", "stages[2].within",
		"funnel.breakdowns[0]", "funnel.top", "quality.max_reject_ratio", "report.timezone",
		"report.currency", "schedule.cron", "schedule.period",
	} {
		if !strings.Contains(err.Error(), key+":") {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}

func TestStagesTable(t *testing.T) {
	base := "source: {kind: files, files: {paths: [a.csv]}}\n"
	cases := []struct {
		name, stages, want string
	}{
		{"no purchase", "stages: [{name: a, events: [x]}, {name: b, events: [y]}]", "exactly one stage must have purchase"},
		{"two purchases", "stages: [{name: a, events: [x], purchase: true}, {name: b, events: [y], purchase: true}]", "found 2"},
		{"repeat before purchase", "stages: [{name: a, events: [x]}, {name: r, repeat_purchase: true}, {name: b, events: [y], purchase: true}]", "stages[1].repeat_purchase"},
		{"repeat with events", "stages: [{name: a, events: [x]}, {name: b, events: [y], purchase: true}, {name: r, repeat_purchase: true, events: [z]}]", "stages[2].events"},
		{"optional first", "stages: [{name: a, events: [x], optional: true}, {name: b, events: [y], purchase: true}]", "stages[0].optional"},
		{"no events", "stages: [{name: a}, {name: b, events: [y], purchase: true}]", "stages[0].events"},
		{"bad duration", "stages: [{name: a, events: [x]}, {name: b, events: [y], purchase: true, within: 3x}]", `"3x" is not a duration`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(base + c.stages))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestStagesReplaceDefaults(t *testing.T) {
	c, err := Parse(strings.NewReader(`
source: {kind: files, files: {paths: [a.csv]}}
stages:
  - {name: visit, events: [page_view]}
  - {name: buy, events: [purchase], purchase: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Stages) != 2 || c.Stages[1].Name != "buy" || c.Stages[0].Optional {
		t.Fatalf("stages = %+v", c.Stages)
	}
}

func TestMatchByStageColumn(t *testing.T) {
	c, err := Parse(strings.NewReader(`
source: {kind: files, files: {paths: [a.parquet]}}
funnel: {match: stage}
stages:
  - {name: awareness}
  - {name: purchase, purchase: true, labels: [purchase, repeat]}
  - {name: repeat, repeat_purchase: true, within: 90d}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Stages[1].StageLabels(); len(got) != 2 {
		t.Errorf("labels = %v", got)
	}
	if got := c.Stages[2].StageLabels(); got != nil {
		t.Errorf("repeat labels = %v, want none", got)
	}
}

func TestHorizon(t *testing.T) {
	day := Duration(24 * time.Hour)
	c := Default()
	c.Funnel.Window = 30 * day
	c.Stages = []Stage{
		{Name: "a", Events: []string{"a"}},
		{Name: "b", Events: []string{"b"}, Within: 7 * day},
		{Name: "c", Events: []string{"c"}, Purchase: true},
		{Name: "r", RepeatPurchase: true, Within: 90 * day},
	}
	if got, want := c.Horizon(), 120*24*time.Hour; got != want {
		t.Errorf("horizon = %v, want %v", got, want)
	}
	c.Stages[3].Within = 0
	if got, want := c.Horizon(), 30*24*time.Hour; got != want {
		t.Errorf("horizon = %v, want %v", got, want)
	}
}

func TestUnits(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 720 * time.Hour, "2w": 336 * time.Hour, "90m": 90 * time.Minute, "1.5h": 90 * time.Minute} {
		d, err := ParseDuration(in)
		if err != nil || d.D() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, d, err, want)
		}
	}
	for in, want := range map[string]int64{"10GB": 10e9, "512MiB": 512 << 20, "1024": 1024} {
		b, err := ParseByteSize(in)
		if err != nil || int64(b) != want {
			t.Errorf("ParseByteSize(%q) = %v, %v; want %v", in, b, err, want)
		}
	}
	if _, err := ParseByteSize("lots"); err == nil {
		t.Error("want an error for a bad size")
	}
	for _, in := range []string{"NaNd", "Infd", "-Infw", "1e300d"} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
	for _, in := range []string{"NaNGB", "InfGB", "1e30TB"} {
		if b, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) = %d, want an error", in, b)
		}
	}
	// A size is written back in the unit it was most likely given in, and reads back the same.
	for _, tc := range []struct {
		in   int64
		want string
	}{{10e9, "10GB"}, {512 << 20, "512MiB"}, {1 << 30, "1GiB"}, {1500, "1500"}, {2e12, "2TB"}, {0, "0"}, {16 << 20, "16MiB"}} {
		got := ByteSize(tc.in).String()
		if got != tc.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", tc.in, got, tc.want)
		}
		if back, err := ParseByteSize(got); err != nil || int64(back) != tc.in {
			t.Errorf("ParseByteSize(%q) = %v, %v; want %d", got, back, err, tc.in)
		}
	}
	y, err := yaml.Marshal(map[string]ByteSize{"a": 10e9, "b": 0})
	if err != nil || string(y) != "a: 10GB\nb: 0\n" {
		t.Errorf("yaml = %q, %v; want a: 10GB, b: 0", y, err)
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte("repeat: {cohort: year}\nsource: {files: {paths: [x]}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), "repeat.cohort") {
		t.Fatalf("got %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("want an error for a missing file")
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	c := Default()
	env := map[string]string{
		"JOURNEYKPI_REPORT_OUT": "/var/reports", "JOURNEYKPI_REPORT_TIMEZONE": "Europe/Berlin",
		"JOURNEYKPI_BIGQUERY_PROJECT": "p1", "JOURNEYKPI_ENGINE_TEMP_DIR": "/scratch",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c.ApplyEnvironment(lookup)
	if c.Report.Out != "/var/reports" || c.Report.Timezone != "Europe/Berlin" || c.Source.BigQuery.Project != "p1" || c.Engine.TempDir != "/scratch" {
		t.Errorf("overrides not applied: report %+v, project %q, temp dir %q", c.Report, c.Source.BigQuery.Project, c.Engine.TempDir)
	}
	// A variable set to nothing keeps the configured value.
	for k := range env {
		env[k] = ""
	}
	d := Default()
	d.ApplyEnvironment(lookup)
	if d.Report.Out != "reports" || d.Report.Timezone != "UTC" || d.Source.BigQuery.Project != "" || d.Engine.TempDir != "" {
		t.Errorf("empty variables changed the config: report %+v, project %q, temp dir %q", d.Report, d.Source.BigQuery.Project, d.Engine.TempDir)
	}
}

// Validate lists its problems in the same order on every run (map iteration must not reach it).
func TestValidateOrderIsStable(t *testing.T) {
	c := Default()
	c.Source.Files.Paths = []string{"x.csv"}
	c.Source.BigQuery.Labels = map[string]string{"B": "1", "C": "2", "D": "3", "E": "4"}
	c.Source.Kind = "bigquery"
	c.Source.BigQuery.Table = "p.d.t"
	c.Report.From, c.Report.To = "2026-13-01", "2026-14-01"
	want := c.Validate().Error()
	for i := 0; i < 50; i++ {
		if got := c.Validate().Error(); got != want {
			t.Fatalf("run %d:\n%s\nwant\n%s", i, got, want)
		}
	}
	if i, j := strings.Index(want, "labels.B"), strings.Index(want, "labels.E"); i < 0 || j < i {
		t.Errorf("label problems not in key order:\n%s", want)
	}
	if i, j := strings.Index(want, "report.from"), strings.Index(want, "report.to"); i < 0 || j < i {
		t.Errorf("report.from not before report.to:\n%s", want)
	}
}

func TestValidateRetryAndWebhook(t *testing.T) {
	c := Default()
	c.Source.Files.Paths = []string{"x.csv"}
	c.Source.Kind, c.Source.BigQuery.Table = "bigquery", "p.d.t"
	c.Source.BigQuery.Retry.InitialBackoff = -1
	c.Source.BigQuery.Retry.Deadline = Duration(-time.Second)
	c.Schedule.Webhook = "hooks.example.com/secret-token"
	err := c.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	msg := err.Error()
	for _, want := range []string{"source.bigquery.retry.initial_backoff: must not be negative", "source.bigquery.retry.deadline: must not be negative", "schedule.webhook: must be an http:// or https:// URL"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "secret-token") {
		t.Errorf("the webhook URL leaked into the message:\n%s", msg)
	}
	c.Source.BigQuery.Retry = Default().Source.BigQuery.Retry
	c.Schedule.Webhook = "https://hooks.example.com/x"
	if err := c.Validate(); err != nil {
		t.Errorf("valid config rejected: %v", err)
	}
}

// A max_backoff below initial_backoff is refused under its own key, for the events source and for
// a spend section (whose unset max_backoff is the default 30s); an equal one is accepted.
func TestValidateMaxBackoffBelowInitial(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{`{kind: bigquery, bigquery: {table: p.d.t, retry: {initial_backoff: 10s, max_backoff: 5s}}}`,
			"source.bigquery.retry.max_backoff: must not be below retry.initial_backoff (10s), is 5s"},
		{`{kind: bigquery, bigquery: {table: p.d.t, retry: {max_backoff: 500ms}}}`,
			"source.bigquery.retry.max_backoff: must not be below retry.initial_backoff (1s), is 500ms"},
		{`{kind: files, files: {paths: [x.csv]}, spend: {kind: bigquery, bigquery: {table: p.d.s, retry: {initial_backoff: 1m}}}}`,
			"source.spend.bigquery.retry.max_backoff: must not be below retry.initial_backoff (1m0s), is 30s"},
	} {
		_, err := Parse(strings.NewReader("source: " + c.yaml + "\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.yaml, err, c.want)
		}
	}
	// 0 is the default (30s), not a maximum below the initial pause.
	if _, err := Parse(strings.NewReader("source: {kind: bigquery, bigquery: {table: p.d.t, retry: {max_backoff: 0s}}}\n")); err != nil {
		t.Errorf("max_backoff: 0s (the default) refused: %v", err)
	}
	cfg, err := Parse(strings.NewReader("source: {kind: bigquery, bigquery: {table: p.d.t, retry: {initial_backoff: 5s, max_backoff: 5s}}}\n"))
	if err != nil {
		t.Fatalf("equal backoffs refused: %v", err)
	}
	if d := cfg.Source.BigQuery.Retry.Backoff(3); d != 5*time.Second {
		t.Errorf("pause %v, want 5s", d)
	}
}

// The pause before each retry doubles from initial_backoff up to max_backoff and stays there,
// however many retries there are; without a policy there is no pause.
func TestRetryBackoff(t *testing.T) {
	r := Retry{InitialBackoff: Duration(time.Second), MaxBackoff: Duration(5 * time.Second)}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i, w := range want {
		if got := r.Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	// Shifting the initial backoff by the retry number would have gone negative long before.
	def := DefaultRetry()
	for _, n := range []int{30, 34, 35, 64, 65, 1000, 1 << 30} {
		if got := def.Backoff(n); got != def.MaxBackoff.D() {
			t.Errorf("default Backoff(%d) = %v, want %v", n, got, def.MaxBackoff)
		}
	}
	huge := Retry{InitialBackoff: Duration(math.MaxInt64/2 + 1), MaxBackoff: Duration(math.MaxInt64)}
	if got := huge.Backoff(2); got != time.Duration(math.MaxInt64) {
		t.Errorf("near the largest duration: Backoff(2) = %v", got)
	}
	if got := (Retry{}).Backoff(3); got != 0 {
		t.Errorf("no policy: pause %v", got)
	}
	// Not reachable from a validated config, but still capped at the maximum.
	if got := (Retry{InitialBackoff: Duration(4 * time.Second), MaxBackoff: Duration(time.Second)}).Backoff(1); got != time.Second {
		t.Errorf("maximum below initial: pause %v, want 1s", got)
	}
}

// Decode problems name their key path like validation problems do, and come all at once with
// them (SPEC §7, house style: `stages[2].within: "3x" is not a duration`).
func TestDecodeProblemsNameTheirKey(t *testing.T) {
	in := `source: {kind: files, files: {paths: [a.csv]}}
stages: [{name: a, events: [x]}, {name: b, events: [y], purchase: true}, {name: r, repeat_purchase: true, within: 3x}]
engine: {memory_budget: lots, workers: many}
funnel:
  windw: 3d
  top: 0
`
	_, err := Parse(strings.NewReader(in))
	if err == nil {
		t.Fatal("want errors")
	}
	msg := err.Error()
	for _, want := range []string{
		`stages[2].within: "3x" is not a duration`,
		`engine.memory_budget: "lots" is not a byte size`,
		`engine.workers: expected a whole number, got the text "many" (line 3)`,
		"funnel.windw: unknown key (line 5)",
		"funnel.top: must be at least 1",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
}

// A breakdown listed twice would give the same block twice in every report.
func TestValidateDuplicateBreakdown(t *testing.T) {
	_, err := Parse(strings.NewReader("source: {kind: files, files: {paths: [a.csv]}}\nfunnel: {breakdowns: [segment, entry_week, segment]}\n"))
	if err == nil || !strings.Contains(err.Error(), `funnel.breakdowns[2]: "segment" is also funnel.breakdowns[0]`) {
		t.Fatalf("got %v", err)
	}
}

// The effective config goes onto the workbook's About sheet: a webhook's secret must not.
func TestMarshalRedactsWebhook(t *testing.T) {
	c := Default()
	c.Schedule.Webhook = "https://hooks.example.com/services/T000/B000/secret-token?key=abc"
	y, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(y), "secret-token") || strings.Contains(string(y), "key=abc") {
		t.Errorf("webhook secret in the marshalled config:\n%s", y)
	}
	if !strings.Contains(string(y), "webhook: https://hooks.example.com/(redacted)") {
		t.Errorf("webhook host missing from the marshalled config:\n%s", y)
	}
	if c.Schedule.Webhook != "https://hooks.example.com/services/T000/B000/secret-token?key=abc" {
		t.Error("Marshal changed the config")
	}
}

func TestPurchaseStageCannotBeOptional(t *testing.T) {
	_, err := Parse(strings.NewReader("source: {kind: files, files: {paths: [a.csv]}}\nstages: [{name: a, events: [x]}, {name: b, events: [y], purchase: true, optional: true}]\n"))
	if err == nil || !strings.Contains(err.Error(), "stages[1].optional") {
		t.Fatalf("got %v", err)
	}
}

// The spend input is checked like the events source, each problem under its own key.
func TestValidateSpendNamesItsKeys(t *testing.T) {
	c := Default()
	c.Source.Files.Paths = []string{"x.csv"}
	for _, tc := range []struct {
		spend Spend
		want  []string
	}{
		{Spend{Kind: "sheets"}, []string{`source.spend.kind: "sheets" is not a source kind`}},
		{Spend{Kind: "files", Files: Files{Format: "xlsx"}}, []string{
			"source.spend.files.paths: at least one path", `source.spend.files.format: "xlsx" is not a format`}},
		{Spend{Kind: "bigquery", BigQuery: BigQuery{Table: "p.d.t", Query: "SELECT 1", MaxBytesBilled: -1}}, []string{
			"source.spend.bigquery.table: exactly one of table and query", "source.spend.bigquery.max_bytes_billed: must not be negative"}},
	} {
		c.Source.Spend = &tc.spend
		err := c.Validate()
		if err == nil {
			t.Errorf("%+v: want errors", tc.spend)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("missing %q in:\n%v", want, err)
			}
		}
	}
	c.Source.Spend = &Spend{Kind: "files", Files: Files{Paths: []string{"spend.csv"}}}
	if err := c.Validate(); err != nil {
		t.Errorf("valid spend rejected: %v", err)
	}
}

// TestBigQueryRefusals: what would reach SQL text or the BigQuery client unchecked is refused
// when the config loads, naming its key, before any request (a bad config is exit 2).
func TestBigQueryRefusals(t *testing.T) {
	for _, c := range []struct {
		name, yaml, want string
	}{
		{"bad table", `{kind: bigquery, bigquery: {project: p, table: "p.ds.t; DROP TABLE x"}}`, `source.bigquery.table: "p.ds.t; DROP TABLE x" is not a table reference`},
		{"bad column", `{kind: bigquery, bigquery: {table: p.ds.t}, columns: {event_time: "ts` + "`" + ` OR 1=1 --"}}`, "source.columns.event_time: \"ts` OR 1=1 --\" is not a BigQuery column name"},
		{"no project", `{kind: bigquery, bigquery: {table: ds.t}}`, "source.bigquery.project: required"},
		// The project completes a dataset.table reference in the SQL text.
		{"bad project", `{kind: bigquery, bigquery: {project: "p; DROP TABLE x; --", table: ds.t}}`, "source.bigquery.project: \"p; DROP TABLE x; --\" is not a project id"},
		{"bad project for ga4", `{kind: bigquery, preset: ga4, bigquery: {project: "p --", table: "ds.events_*"}}`, "source.bigquery.project: \"p --\" is not a project id"},
		{"ga4 needs a table", `{kind: bigquery, preset: ga4, bigquery: {project: p, query: "SELECT 1"}}`, "source.bigquery.table: the ga4 preset needs the export's table"},
		{"ga4 maps its own columns", `{kind: bigquery, preset: ga4, bigquery: {table: "p.ds.events_*"}, columns: {customer_id: uid}}`, "source.columns: the ga4 preset maps the export's columns itself"},
		{"both table and query", `{kind: bigquery, bigquery: {project: p, table: p.d.t, query: "SELECT 1"}}`, "source.bigquery.table: exactly one of table and query"},
		{"bad spend column", `{kind: files, files: {paths: [x.csv]}, spend: {kind: bigquery, bigquery: {table: p.d.s}, columns: {cost: "c-1"}}}`, `source.spend.columns.cost: "c-1" is not a BigQuery column name`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader("source: " + c.yaml + "\n"))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	// The project defaults to the table's own.
	cfg, err := Parse(strings.NewReader("source: {kind: bigquery, bigquery: {table: billing.ds.t}}\n"))
	if err != nil || cfg.Source.BigQuery.Project != "billing" {
		t.Fatalf("project %q, %v", cfg.Source.BigQuery.Project, err)
	}
}

func TestValidateComparison(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		keys []string
	}{
		{"comparison: {min_change: .nan, min_mature: 1.5, year_ago: sometimes}", []string{"comparison.min_change", "comparison.min_mature", "comparison.year_ago"}},
		{"comparison: {min_change: -0.1, min_mature: .nan}", []string{"comparison.min_change", "comparison.min_mature"}},
		{"comparison: {min_change: .inf}", []string{"comparison.min_change"}},
		{"comparison: {min_change: 0, min_mature: 0, year_ago: off}", nil},
	} {
		_, err := Parse(strings.NewReader("source: {kind: files, files: {paths: [a.csv]}}\n" + tc.yaml))
		if (err != nil) != (len(tc.keys) > 0) {
			t.Errorf("%s: error %v", tc.yaml, err)
			continue
		}
		for _, key := range tc.keys {
			if !strings.Contains(err.Error(), key+":") {
				t.Errorf("%s: error does not name %s:\n%v", tc.yaml, key, err)
			}
		}
	}
	c := Default()
	if c.Comparison.MinChange != 0.02 || c.Comparison.MinMature != 0.8 || c.Comparison.YearAgo != YearAgoAuto {
		t.Errorf("defaults %+v", c.Comparison)
	}
}

// TestValidateAllocation: the allocation's numbers are checked for range and finiteness, naming
// their key; the retired uplift says what replaced it.
func TestValidateAllocation(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		keys []string
	}{
		{"allocation: {close_gap: .nan, max_shift: 1.5, margin: -0.1, min_entrants: 0}",
			[]string{"allocation.close_gap", "allocation.max_shift", "allocation.margin", "allocation.min_entrants"}},
		{"allocation: {close_gap: 0, max_shift: .inf, margin: .inf}", []string{"allocation.close_gap", "allocation.max_shift", "allocation.margin"}},
		{"allocation: {paid: [search, '', search]}", []string{"allocation.paid[1]", "allocation.paid[2]"}},
		{"allocation: {uplift: 0.1}", []string{"allocation.uplift"}},
		{"allocation: {close_gap: 1, max_shift: 1, margin: 0.4, paid: [search, social], min_entrants: 5}", nil},
	} {
		_, err := Parse(strings.NewReader("source: {kind: files, files: {paths: [a.csv]}}\n" + tc.yaml))
		if (err != nil) != (len(tc.keys) > 0) {
			t.Errorf("%s: error %v", tc.yaml, err)
			continue
		}
		for _, key := range tc.keys {
			if !strings.Contains(err.Error(), key+":") {
				t.Errorf("%s: error does not name %s:\n%v", tc.yaml, key, err)
			}
		}
	}
	if _, err := Parse(strings.NewReader("source: {kind: files, files: {paths: [a.csv]}}\nallocation: {uplift: 0.1}")); err == nil ||
		!strings.Contains(err.Error(), "allocation.close_gap") {
		t.Errorf("the retired uplift does not point to close_gap: %v", err)
	}
	c := Default()
	if a := c.Allocation; a.CloseGap != 0.5 || a.MinEntrants != 30 || a.MaxShift != 0.2 || a.Margin != 0 || a.Paid != nil {
		t.Errorf("defaults %+v", a)
	}
}

// TestSpendPresets: a spend preset needs a BigQuery table of its kind and no query of the user's;
// it maps every spend column and keeps the schedule's recompute days at least its transfer's
// reload window.
func TestSpendPresets(t *testing.T) {
	base := "source:\n  kind: files\n  files: {paths: [a.csv]}\n  spend:\n"
	for _, tc := range []struct {
		yaml string
		keys []string
	}{
		{"    kind: files\n    preset: google_ads\n    files: {paths: [s.csv]}", []string{"source.spend.preset"}},
		{"    kind: bigquery\n    preset: google_ads\n    bigquery: {table: p.d.some_table}", []string{"source.spend.bigquery.table"}},
		{"    kind: bigquery\n    preset: meta_ads\n    bigquery: {table: p.d.AdInsights, query: 'SELECT 1'}", []string{"source.spend.bigquery"}},
		{"    kind: bigquery\n    preset: tiktok_ads\n    bigquery: {table: p.d.t}", []string{"source.spend.preset"}},
	} {
		_, err := Parse(strings.NewReader(base + tc.yaml))
		if err == nil {
			t.Errorf("%s: no error", tc.yaml)
			continue
		}
		for _, key := range tc.keys {
			if !strings.Contains(err.Error(), key) {
				t.Errorf("%s: error does not name %s:\n%v", tc.yaml, key, err)
			}
		}
	}
	for preset, days := range map[string]int{"google_ads": 7, "meta_ads": 30} {
		table := "p.d.ads_CampaignBasicStats_123"
		if preset == "meta_ads" {
			table = "p.d.AdInsights"
		}
		c, err := Parse(strings.NewReader(base + "    kind: bigquery\n    preset: " + preset + "\n    bigquery: {table: " + table + "}\nschedule: {recompute_days: 2}"))
		if err != nil {
			t.Fatalf("%s: %v", preset, err)
		}
		cols := c.Source.Spend.Columns
		if c.Schedule.RecomputeDays != days || cols.Campaign != "campaign" || cols.Impressions != "impressions" || cols.Clicks != "clicks" ||
			cols.Currency != "currency" || SpendReloadDays(preset) != days {
			t.Errorf("%s: recompute %d days, columns %+v", preset, c.Schedule.RecomputeDays, cols)
		}
	}
}
