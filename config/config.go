package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"go.yaml.in/yaml/v3"
)

// Example is the built-in example configuration: the bundled sample data, read offline. It is the
// same text as config/example.yaml.
//
//go:embed example.yaml
var exampleYAML []byte

// ExampleYAML returns the text of the built-in example configuration.
func ExampleYAML() []byte { return bytes.Clone(exampleYAML) }

// Config is the whole configuration of one journeykpi deployment.
type Config struct {
	Source      Source      `yaml:"source"`
	Stages      []Stage     `yaml:"stages"`
	Funnel      Funnel      `yaml:"funnel"`
	JourneyMap  JourneyMap  `yaml:"journey_map"`
	Repeat      Repeat      `yaml:"repeat"`
	Attribution Attribution `yaml:"attribution"`
	Allocation  Allocation  `yaml:"allocation"`
	Comparison  Comparison  `yaml:"comparison"`
	Quality     Quality     `yaml:"quality"`
	Engine      Engine      `yaml:"engine"`
	Report      Report      `yaml:"report"`
	Schedule    Schedule    `yaml:"schedule"`

	// Origin says where the configuration came from ("built-in example" or a file path). It is
	// not a YAML key.
	Origin string `yaml:"-"`

	// programs are the source's expressions, compiled when the config is loaded.
	programs *Programs
}

// Source says where touchpoint events (and optionally spend) come from.
type Source struct {
	Kind     string   `yaml:"kind"`   // files | bigquery
	Preset   string   `yaml:"preset"` // "" | ga4
	Files    Files    `yaml:"files"`
	BigQuery BigQuery `yaml:"bigquery"`
	Columns  Columns  `yaml:"columns"`
	// TimeZone is the zone of event_time values that carry none (CSV datetimes without offset).
	// Empty means the report time zone.
	TimeZone string `yaml:"timezone"`
	// Derive computes contract columns (or dimensions) from expressions over the source's
	// columns, by canonical name: {revenue: "float(Quantity) * float(UnitPrice)"}.
	Derive map[string]string `yaml:"derive"`
	// Where keeps the rows for which it is true; the others are counted as filtered.
	Where string `yaml:"where"`
	// OrderLines says how an order's revenue comes from its events: first (the first revenue
	// value, for resent events) or sum (the sum of its lines, for line-item sources).
	OrderLines string `yaml:"order_lines"`
	// TimeFormat is how event_time text (or integer) values are written: a Go layout
	// ("2006-01-02 15:04:05", "20060102") or strftime ("%Y%m%d"). Empty: the formats of
	// docs/sources.md, and integers as epoch microseconds.
	TimeFormat string `yaml:"time_format"`
	// TimeUnit is the unit of integer epoch event times: s, ms, us or ns. Empty means
	// microseconds, and integers that only make sense in another unit are refused.
	TimeUnit string `yaml:"time_unit"`
	// AllowRefunds accepts negative revenue as refunds, which reduce revenue; otherwise a
	// negative revenue rejects its row (revenue_negative).
	AllowRefunds bool `yaml:"allow_refunds"`
	// History is what is read before the look-back of the periods the report compares (the split
	// read): "orders", only the purchase-stage events, which is all that returning-customer rates,
	// cohorts and the purchase model need; "all", every event.
	History string `yaml:"history"`
	Spend   *Spend `yaml:"spend"`
}

// Files is a files source: Parquet, CSV or NDJSON files or globs.
type Files struct {
	Paths  []string `yaml:"paths"`
	Format string   `yaml:"format"` // auto | parquet | csv | ndjson
	// CSV says how CSV files are written, when not as RFC 4180 with a header row.
	CSV CSV `yaml:"csv"`
}

// CSV says how the CSV files of a files source are written.
type CSV struct {
	// Delimiter separates fields: one character (default ","; "\t" or tab for tabs), or
	// "whitespace" for runs of spaces and tabs (no quoting; leading and trailing ones ignored).
	Delimiter string `yaml:"delimiter"`
	// Columns name the fields of files that have no header row; empty means the first line
	// names them.
	Columns []string `yaml:"columns"`
	// Comment starts lines that are skipped (e.g. "#"); empty means none.
	Comment string `yaml:"comment"`
}

// Columns maps the data contract's canonical column names onto the source's own names. Every
// name defaults to the canonical one (DefaultColumns).
type Columns struct {
	CustomerID string `yaml:"customer_id"`
	EventTime  string `yaml:"event_time"`
	EventName  string `yaml:"event_name"`
	Stage      string `yaml:"stage"`
	Touchpoint string `yaml:"touchpoint"`
	Campaign   string `yaml:"campaign"`
	Segment    string `yaml:"segment"`
	OrderID    string `yaml:"order_id"`
	Revenue    string `yaml:"revenue"`
	Sentiment  string `yaml:"sentiment"`
	LineID     string `yaml:"line_id"`
	// Dimensions are up to kpi.MaxDims more columns, usable as breakdowns.
	Dimensions Dimensions `yaml:"dimensions"`
}

// Spend is the optional second input, the touchpoint metrics: cost per day and touchpoint, and
// optionally campaign, impressions, clicks and currency.
type Spend struct {
	Kind string `yaml:"kind"` // files | bigquery
	// Preset reads a BigQuery data-transfer table as it lands: google_ads (the campaign stats
	// table of the Google Ads transfer) or meta_ads (AdInsights of the Facebook Ads transfer).
	Preset   string       `yaml:"preset"`
	Files    Files        `yaml:"files"`
	BigQuery BigQuery     `yaml:"bigquery"`
	Columns  SpendColumns `yaml:"columns"`
}

// Spend presets and how many days back their transfers rewrite on every run.
const (
	SpendPresetGoogleAds = "google_ads"
	SpendPresetMetaAds   = "meta_ads"
)

// SpendReloadDays is how many days back a spend preset's transfer rewrites on every run (the
// Google Ads transfer's default refresh window, the Facebook Ads transfer's fixed one); 0 for no
// preset.
func SpendReloadDays(preset string) int {
	switch preset {
	case SpendPresetGoogleAds:
		return 7
	case SpendPresetMetaAds:
		return 30
	}
	return 0
}

// SpendColumns maps the spend input's canonical columns onto the source's names. The required
// ones (date, touchpoint, cost) default to the canonical name. The optional ones are read when
// named; a files source also reads a column of the canonical name when there is one.
type SpendColumns struct {
	Date        string `yaml:"date"`
	Touchpoint  string `yaml:"touchpoint"`
	Cost        string `yaml:"cost"`
	Campaign    string `yaml:"campaign"`
	Impressions string `yaml:"impressions"`
	Clicks      string `yaml:"clicks"`
	Currency    string `yaml:"currency"`
}

// Stage is one journey stage, in journey order.
type Stage struct {
	Name string `yaml:"name"`
	// Events are the event_name values that put an event in this stage (funnel.match: events).
	Events []string `yaml:"events"`
	// Labels are the values of the stage column that put an event in this stage
	// (funnel.match: stage). Empty means the stage's own name.
	Labels []string `yaml:"labels"`
	// Optional stages count when they happen and never block a later stage.
	Optional bool `yaml:"optional"`
	// Within is this stage's own window from the previous required stage; zero means the funnel
	// window applies.
	Within Duration `yaml:"within"`
	// Purchase marks the one purchase stage: its events are orders.
	Purchase bool `yaml:"purchase"`
	// RepeatPurchase marks the derived repeat stage: the first later order with a different
	// order_id. It matches no events itself.
	RepeatPurchase bool `yaml:"repeat_purchase"`
}

// Funnel configures the closed and open funnel.
type Funnel struct {
	Window     Duration `yaml:"window"`
	Match      string   `yaml:"match"`      // events | stage
	Breakdowns []string `yaml:"breakdowns"` // first_touchpoint | segment | entry_week
	Top        int      `yaml:"top"`
}

// JourneyMap configures the stage × touchpoint map and its pain points.
type JourneyMap struct {
	// MinCustomers is how many customers with a sentiment a cell needs to be a pain point.
	MinCustomers int `yaml:"min_customers"`
	// PainPoints is how many of the lowest-sentiment cells are reported.
	PainPoints int `yaml:"pain_points"`
}

// Repeat configures repeat-purchase KPIs and the BG/NBD prediction.
type Repeat struct {
	History Duration `yaml:"history"`
	Cohort  string   `yaml:"cohort"` // month | week
	// Horizon is how far ahead BG/NBD predicts purchases.
	Horizon Duration `yaml:"horizon"`
}

// Attribution configures touchpoint attribution.
type Attribution struct {
	Lookback Duration `yaml:"lookback"`
	HalfLife Duration `yaml:"half_life"`
}

// Allocation configures the resource recommendations.
type Allocation struct {
	// CloseGap is the share of a gap to its benchmark that a stage opportunity or a pain point
	// counts on closing.
	CloseGap float64 `yaml:"close_gap"`
	// MinEntrants is how many customers a breakdown value needs at a step to count towards the
	// step's benchmark or be measured against it.
	MinEntrants int `yaml:"min_entrants"`
	// MaxShift is the share of the giving touchpoint's spend a budget shift moves at most.
	MaxShift float64 `yaml:"max_shift"`
	// Paid lists the touchpoints whose budget can move; empty means every touchpoint with spend.
	Paid []string `yaml:"paid"`
	// Margin is the gross margin on revenue (0..1]; 0 means not given. With it a budget shift
	// names the break-even ROAS, 1/margin.
	Margin float64 `yaml:"margin"`
	// Actions is how many recommendations the Summary sheet shows.
	Actions int `yaml:"actions"`
	// Uplift is no longer used: stage opportunities close a share of the gap to a benchmark
	// (CloseGap). It is still read so that a config naming it gets a message saying so.
	Uplift float64 `yaml:"uplift"`
}

// Comparison configures how the headline KPIs are compared between periods.
type Comparison struct {
	// MinChange is the smallest relative change that is called out (coloured), given that it is
	// significant at 5%.
	MinChange float64 `yaml:"min_change"`
	// MinMature is the share of a funnel KPI's entrants whose window must have closed by the
	// data's end for the KPI to count as mature.
	MinMature float64 `yaml:"min_mature"`
	// YearAgo is auto (compare with the same period a year earlier when the data reach back to
	// it), on (always read back for it) or off (never: the read stays shorter).
	YearAgo string `yaml:"year_ago"`
}

// Settings of comparison.year_ago.
const (
	YearAgoAuto = "auto"
	YearAgoOn   = "on"
	YearAgoOff  = "off"
)

// Quality configures how much bad input a run tolerates.
type Quality struct {
	MaxRejectRatio float64 `yaml:"max_reject_ratio"`
}

// Engine configures the grouping step: the memory it may use before spilling to disk.
type Engine struct {
	MemoryBudget ByteSize `yaml:"memory_budget"`
	Workers      int      `yaml:"workers"` // 0 means one per CPU
	TempDir      string   `yaml:"temp_dir"`
}

// Report configures the outputs.
type Report struct {
	Name     string `yaml:"name"`
	Out      string `yaml:"out"`
	Timezone string `yaml:"timezone"`
	Currency string `yaml:"currency"`
	// From and To give the range `run` reports when no --from/--to/--date is given. Empty means the
	// schedule's period before today.
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// Default returns the configuration every key falls back to. Its source is the bundled sample.
func Default() Config {
	return Config{
		Source: Source{
			Kind:       "files",
			Files:      Files{Format: "auto"},
			BigQuery:   DefaultBigQuery(),
			Columns:    DefaultColumns(),
			History:    "orders",
			OrderLines: "first",
		},
		Stages: DefaultStages(),
		Funnel: Funnel{
			Window:     Duration(30 * 24 * time.Hour),
			Match:      "events",
			Breakdowns: []string{"first_touchpoint", "segment", "entry_week"},
			Top:        10,
		},
		JourneyMap:  JourneyMap{MinCustomers: 20, PainPoints: 5},
		Repeat:      Repeat{History: Duration(365 * 24 * time.Hour), Cohort: "month", Horizon: Duration(90 * 24 * time.Hour)},
		Attribution: Attribution{Lookback: Duration(30 * 24 * time.Hour), HalfLife: Duration(7 * 24 * time.Hour)},
		Allocation:  Allocation{CloseGap: 0.5, MinEntrants: 30, MaxShift: 0.20, Actions: 5},
		Comparison:  Comparison{MinChange: 0.02, MinMature: 0.8, YearAgo: YearAgoAuto},
		Quality:     Quality{MaxRejectRatio: 0.01},
		Engine:      Engine{MemoryBudget: 512 << 20},
		Report:      Report{Name: "journey-report", Out: "reports", Timezone: "UTC", Currency: "USD"},
		Schedule:    DefaultSchedule(),
	}
}

// DefaultColumns maps every contract column onto the source column of the same name.
func DefaultColumns() Columns {
	return Columns{
		CustomerID: "customer_id", EventTime: "event_time", EventName: "event_name", Stage: "stage",
		Touchpoint: "touchpoint", Campaign: "campaign", Segment: "segment", OrderID: "order_id",
		Revenue: "revenue", Sentiment: "sentiment", LineID: "line_id",
	}
}

// DefaultBigQuery is the events source's BigQuery section: a 10 GB byte limit, the default
// retries, jobs stopped after 6 hours, LZ4 reads, results kept a day, a 4-day sync.
func DefaultBigQuery() BigQuery {
	return BigQuery{MaxBytesBilled: 10e9, Retry: DefaultRetry(), JobTimeout: Duration(6 * time.Hour), Compression: "lz4",
		Freshness: "warn", Destination: Destination{Expiration: Duration(24 * time.Hour)}, Sync: Sync{Days: 4}, GA4: DefaultGA4()}
}

// DefaultRetry is the retry policy of a BigQuery read: 5 attempts, backoff from 1 s to 30 s, all
// within 30 minutes.
func DefaultRetry() Retry {
	return Retry{Attempts: 5, InitialBackoff: Duration(time.Second), MaxBackoff: Duration(30 * time.Second), Deadline: Duration(30 * time.Minute)}
}

// DefaultSpend is what a spend section falls back to key by key: canonical column names and the
// BigQuery retry policy of the events source.
func DefaultSpend() Spend {
	return Spend{
		Kind:     "files",
		Files:    Files{Format: "auto"},
		BigQuery: BigQuery{Retry: DefaultRetry()},
		Columns:  SpendColumns{Date: "date", Touchpoint: "touchpoint", Cost: "cost"},
	}
}

// DefaultStages are the stages of the customer journey map, matched by GA4-style event names.
func DefaultStages() []Stage {
	return []Stage{
		{Name: "awareness", Events: []string{"first_visit", "session_start", "page_view"}},
		{Name: "interest", Events: []string{"view_item", "search"}},
		{Name: "comparison", Events: []string{"view_cart", "add_to_cart"}},
		{Name: "purchase", Events: []string{"purchase"}, Purchase: true},
		{Name: "usage", Events: []string{"app_open"}, Optional: true},
		{Name: "feedback", Events: []string{"review"}, Optional: true},
		{Name: "repeat", RepeatPurchase: true, Within: Duration(90 * 24 * time.Hour)},
	}
}

// Example returns the built-in example configuration, validated.
func Example() (Config, error) {
	c, err := Parse(bytes.NewReader(exampleYAML))
	if err != nil {
		return Config{}, fmt.Errorf("built-in example config: %w", err)
	}
	c.Origin = "built-in example"
	return c, nil
}

// Load reads a YAML file over Default, rejecting unknown keys, and validates the result.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	c, err := Parse(f)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	c.Origin = path
	return c, nil
}

// Parse decodes YAML over Default, rejecting unknown keys, applies the environment overrides and
// validates. A list in the YAML (stages, paths) replaces the default list.
//
// Every problem comes back at once, each naming its key path: unknown keys and values of the
// wrong type or unit (with their line) as well as what Validate finds.
func Parse(r io.Reader) (Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Config{}, fmt.Errorf("config: read: %w", err)
	}
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var decodeErr error
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		// A key given twice makes the rest of the document unreliable to judge (which value
		// counts?): only that is reported.
		if dup := duplicateKeys(data, te); dup != nil {
			return Config{}, dup
		}
		// A value that does not decode keeps its default, so validation still runs and its
		// problems are reported with these.
		decodeErr = namedTypeErrors(data, te)
	}
	// Numbers the decoder takes without a word: 2.5 for a count, .nan for a ratio.
	decodeErr = errors.Join(decodeErr, checkNumbers(data))
	c.ApplyEnvironment(os.LookupEnv)
	c.resolve()
	if err := errors.Join(decodeErr, withoutKeysOf(c.Validate(), decodeErr)); err != nil {
		return Config{}, err
	}
	// Validate left the compiled programs in c.programs.
	return c, nil
}

// resolve applies the defaults that YAML decoding over Default cannot: a spend section is
// optional, so its keys fall back to DefaultSpend one by one, and a BigQuery project left out
// is the table's own.
func (c *Config) resolve() {
	if sp := c.Source.Spend; sp != nil {
		def := DefaultSpend()
		fill(&sp.Columns.Date, def.Columns.Date)
		fill(&sp.Columns.Touchpoint, def.Columns.Touchpoint)
		fill(&sp.Columns.Cost, def.Columns.Cost)
		if sp.Preset != "" {
			// A preset's query produces the canonical columns.
			sp.Columns = SpendColumns{Date: "date", Touchpoint: "touchpoint", Cost: "cost", Campaign: "campaign",
				Impressions: "impressions", Clicks: "clicks", Currency: "currency"}
			// A report over days the transfer has since rewritten would keep the old spend.
			c.Schedule.RecomputeDays = max(c.Schedule.RecomputeDays, SpendReloadDays(sp.Preset))
		}
		r := &sp.BigQuery.Retry
		if r.Attempts == 0 {
			r.Attempts = def.BigQuery.Retry.Attempts
		}
		if r.InitialBackoff == 0 {
			r.InitialBackoff = def.BigQuery.Retry.InitialBackoff
		}
		if r.MaxBackoff == 0 {
			r.MaxBackoff = def.BigQuery.Retry.MaxBackoff
		}
		if r.Deadline == 0 {
			r.Deadline = def.BigQuery.Retry.Deadline
		}
		sp.BigQuery.resolveProject()
		sp.BigQuery.fillDefaults(DefaultBigQuery())
	}
	c.Source.BigQuery.resolveProject()
}

// fill sets *s to def when it is empty.
func fill(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

// ApplyEnvironment applies the JOURNEYKPI_* overrides; lookup is os.LookupEnv outside tests.
//
//	JOURNEYKPI_REPORT_OUT          report.out
//	JOURNEYKPI_REPORT_TIMEZONE     report.timezone
//	JOURNEYKPI_BIGQUERY_PROJECT    source.bigquery.project
//	JOURNEYKPI_ENGINE_TEMP_DIR     engine.temp_dir
//
// An unset or empty variable leaves the key as it is.
func (c *Config) ApplyEnvironment(lookup func(string) (string, bool)) {
	if v, ok := lookup("JOURNEYKPI_REPORT_OUT"); ok && v != "" {
		c.Report.Out = v
	}
	if v, ok := lookup("JOURNEYKPI_REPORT_TIMEZONE"); ok && v != "" {
		c.Report.Timezone = v
	}
	if v, ok := lookup("JOURNEYKPI_BIGQUERY_PROJECT"); ok && v != "" {
		c.Source.BigQuery.Project = v
	}
	if v, ok := lookup("JOURNEYKPI_ENGINE_TEMP_DIR"); ok && v != "" {
		c.Engine.TempDir = v
	}
}

// Location returns the report time zone. It is valid after Validate.
func (c *Config) Location() *time.Location { return zone(c.Report.Timezone) }

// SourceLocation returns the zone of event times that carry none: source.timezone, or the report
// time zone when that is empty. It is valid after Validate.
func (c *Config) SourceLocation() *time.Location {
	if c.Source.TimeZone == "" {
		return c.Location()
	}
	return zone(c.Source.TimeZone)
}

// zone loads a validated time zone name; UTC stands in for one that Validate would reject.
func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Marshal writes c as YAML, for the About sheet and `validate --print`. The webhook URL keeps only
// its scheme and host: its path and query often carry the secret, and the About sheet goes to
// everyone who opens the workbook.
func (c Config) Marshal() ([]byte, error) {
	c.Schedule.Webhook = redactURL(c.Schedule.Webhook)
	return yaml.Marshal(c)
}

// redactURL keeps the scheme and host of a URL and replaces everything else.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(redacted)"
	}
	return u.Scheme + "://" + u.Host + "/(redacted)"
}
