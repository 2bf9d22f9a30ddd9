package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Validate checks the whole configuration and returns every problem at once (joined with
// errors.Join), each naming its key path. It never touches the network.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}

	// source
	validateInput("source", c.Source.Kind, c.Source.Files, c.Source.BigQuery, bad)
	switch c.Source.Preset {
	case "":
	case "ga4":
		if c.Source.Kind != "bigquery" {
			bad("source.preset", "the ga4 preset reads the GA4 BigQuery export: it needs source.kind: bigquery")
		}
		if c.Source.BigQuery.Table == "" {
			bad("source.bigquery.table", "the ga4 preset needs the export's table: project.dataset.events_*")
		}
		if !c.Source.Columns.isDefault() {
			bad("source.columns", "the ga4 preset maps the export's columns itself; remove source.columns")
		}
	default:
		bad("source.preset", "%q is not a preset (ga4)", c.Source.Preset)
	}
	if c.Source.Kind == "bigquery" {
		cols := c.Source.Columns
		for _, k := range ContractColumns {
			if col := cols.Mapped(k); !ValidColumn(col) {
				bad("source.columns."+k, "%q is not a BigQuery column name (letters, digits and '_', not starting with a digit)", col)
			}
		}
		for _, d := range cols.Dimensions {
			if !ValidColumn(d.Column) {
				bad("source.columns.dimensions."+d.Name, "%q is not a BigQuery column name (letters, digits and '_', not starting with a digit)", d.Column)
			}
		}
	}
	c.validateSourceShape(bad)
	switch c.Source.History {
	case "orders", "all":
	default:
		bad("source.history", "%q is not a history mode (orders | all)", c.Source.History)
	}
	if c.Source.TimeZone != "" {
		if _, err := time.LoadLocation(c.Source.TimeZone); err != nil {
			bad("source.timezone", "%q is not a time zone", c.Source.TimeZone)
		}
	}
	if s := c.Source.Spend; s != nil {
		validateInput("source.spend", s.Kind, s.Files, s.BigQuery, bad)
		if s.Kind == "bigquery" {
			for _, kv := range [][2]string{{"date", s.Columns.Date}, {"touchpoint", s.Columns.Touchpoint}, {"cost", s.Columns.Cost},
				{"campaign", s.Columns.Campaign}, {"impressions", s.Columns.Impressions}, {"clicks", s.Columns.Clicks}, {"currency", s.Columns.Currency}} {
				if kv[1] != "" && !ValidColumn(kv[1]) {
					bad("source.spend.columns."+kv[0], "%q is not a BigQuery column name (letters, digits and '_', not starting with a digit)", kv[1])
				}
			}
		}
		switch s.Preset {
		case "":
		case SpendPresetGoogleAds, SpendPresetMetaAds:
			if s.Kind != "bigquery" {
				bad("source.spend.preset", "the %s preset reads a BigQuery data-transfer table: it needs source.spend.kind: bigquery", s.Preset)
			}
			if s.BigQuery.Query != "" {
				bad("source.spend.bigquery.query", "the %s preset writes the query itself; give only source.spend.bigquery.table", s.Preset)
			}
			if s.Preset == SpendPresetGoogleAds && !strings.Contains(s.BigQuery.Table, "CampaignBasicStats_") {
				bad("source.spend.bigquery.table", "the google_ads preset reads the transfer's campaign stats: project.dataset.ads_CampaignBasicStats_<customer id>, not %q", s.BigQuery.Table)
			}
		default:
			bad("source.spend.preset", "%q is not a spend preset (google_ads | meta_ads)", s.Preset)
		}
	}

	// stages
	c.validateStages(bad)

	// funnel
	inDays("funnel.window", c.Funnel.Window, true, bad)
	switch c.Funnel.Match {
	case "events", "stage":
	default:
		bad("funnel.match", "%q is not a match mode (events | stage)", c.Funnel.Match)
	}
	breakdowns := append(slices.Clone(builtinBreakdowns), c.Source.Columns.Dimensions.Names()...)
	for i, b := range c.Funnel.Breakdowns {
		switch {
		case slices.Contains(breakdowns, b):
			if j := slices.Index(c.Funnel.Breakdowns, b); j < i {
				bad(fmt.Sprintf("funnel.breakdowns[%d]", i), "%q is also funnel.breakdowns[%d]", b, j)
			}
		default:
			bad(fmt.Sprintf("funnel.breakdowns[%d]", i), "%q is not a breakdown (%s, or a dimension of source.columns.dimensions)", b, strings.Join(breakdowns, " | "))
		}
	}
	inRange("funnel.top", c.Funnel.Top, 1, maxListed, bad)
	inRange("journey_map.min_customers", c.JourneyMap.MinCustomers, 1, math.MaxInt32, bad)
	inRange("journey_map.pain_points", c.JourneyMap.PainPoints, 0, maxListed, bad)

	// repeat, attribution, allocation, quality
	inDays("repeat.history", c.Repeat.History, false, bad)
	switch c.Repeat.Cohort {
	case "month", "week":
	default:
		bad("repeat.cohort", "%q is not a cohort period (month | week)", c.Repeat.Cohort)
	}
	inDays("repeat.horizon", c.Repeat.Horizon, true, bad)
	inDays("attribution.lookback", c.Attribution.Lookback, true, bad)
	inDays("attribution.half_life", c.Attribution.HalfLife, true, bad)
	// Written so that NaN fails them: every comparison with NaN is false.
	if c.Allocation.Uplift != 0 {
		bad("allocation.uplift", "is no longer used: stage opportunities are valued by closing a share of the gap to a benchmark; remove it and set allocation.close_gap (default 0.5) if needed")
	}
	if !(c.Allocation.CloseGap > 0 && c.Allocation.CloseGap <= 1) {
		bad("allocation.close_gap", "%v must be a fraction in (0, 1], e.g. 0.5 for half the gap", c.Allocation.CloseGap)
	}
	inRange("allocation.min_entrants", c.Allocation.MinEntrants, 1, math.MaxInt32, bad)
	if !(c.Allocation.MaxShift > 0 && c.Allocation.MaxShift <= 1) {
		bad("allocation.max_shift", "%v must be a fraction in (0, 1]", c.Allocation.MaxShift)
	}
	if !(c.Allocation.Margin >= 0 && c.Allocation.Margin <= 1) {
		bad("allocation.margin", "%v must be a gross margin in (0, 1], e.g. 0.4 for 40%%, or left out", c.Allocation.Margin)
	}
	for i, tp := range c.Allocation.Paid {
		if strings.TrimSpace(tp) == "" {
			bad(fmt.Sprintf("allocation.paid[%d]", i), "is empty: name a touchpoint")
		}
		if slices.Contains(c.Allocation.Paid[:i], tp) {
			bad(fmt.Sprintf("allocation.paid[%d]", i), "%q is listed twice", tp)
		}
	}
	inRange("allocation.actions", c.Allocation.Actions, 1, maxListed, bad)
	// NaN fails every comparison, so the ranges are written to reject it.
	if !(c.Comparison.MinChange >= 0 && c.Comparison.MinChange <= 10) {
		bad("comparison.min_change", "%v must be a relative change in [0, 10], e.g. 0.02 for 2%%", c.Comparison.MinChange)
	}
	if !(c.Comparison.MinMature >= 0 && c.Comparison.MinMature <= 1) {
		bad("comparison.min_mature", "%v must be a fraction in [0, 1]", c.Comparison.MinMature)
	}
	switch c.Comparison.YearAgo {
	case YearAgoAuto, YearAgoOn, YearAgoOff:
	default:
		bad("comparison.year_ago", "%q is not a setting (auto | on | off)", c.Comparison.YearAgo)
	}
	if !(c.Quality.MaxRejectRatio >= 0 && c.Quality.MaxRejectRatio <= 1) {
		bad("quality.max_reject_ratio", "%v must be a fraction in [0, 1]", c.Quality.MaxRejectRatio)
	}
	if c.Engine.MemoryBudget < 16<<20 {
		bad("engine.memory_budget", "%s is too small (at least 16MiB)", c.Engine.MemoryBudget)
	}
	// More workers than partitions cannot fold more at once, and each one holds a partition.
	inRange("engine.workers", c.Engine.Workers, 0, MaxWorkers, bad)

	// report
	if !reportName.MatchString(c.Report.Name) {
		bad("report.name", "%q must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit", c.Report.Name)
	}
	if c.Report.Out == "" {
		bad("report.out", "an output directory is required")
	}
	if _, err := time.LoadLocation(c.Report.Timezone); err != nil {
		bad("report.timezone", "%q is not a time zone", c.Report.Timezone)
	}
	if !currency.MatchString(c.Report.Currency) {
		bad("report.currency", "%q is not an ISO 4217 currency code", c.Report.Currency)
	}
	// A slice, not a map: the problems come out in the same order on every run.
	for _, kv := range [][2]string{{"report.from", c.Report.From}, {"report.to", c.Report.To}} {
		if kv[1] != "" {
			if _, err := time.Parse(time.DateOnly, kv[1]); err != nil {
				bad(kv[0], "%q is not a date (YYYY-MM-DD)", kv[1])
			}
		}
	}
	if (c.Report.From == "") != (c.Report.To == "") {
		bad("report.from", "report.from and report.to go together")
	} else if c.Report.From != "" && c.Report.From > c.Report.To {
		bad("report.from", "%s is after report.to %s", c.Report.From, c.Report.To)
	}

	// schedule
	if err := checkCron(c.Schedule.Cron); err != nil {
		bad("schedule.cron", "%q is not a cron expression: %v", c.Schedule.Cron, err)
	}
	switch c.Schedule.Period {
	case "previous_day", "previous_week", "previous_month", "trailing_7d", "trailing_28d":
	default:
		bad("schedule.period", "%q is not a period (previous_day | previous_week | previous_month | trailing_7d | trailing_28d)", c.Schedule.Period)
	}
	inRange("schedule.recompute_days", c.Schedule.RecomputeDays, 0, 366, bad)
	inRange("schedule.catch_up", c.Schedule.CatchUp, 0, 366, bad)
	if c.Schedule.GracePeriod < 0 {
		bad("schedule.grace_period", "must not be negative")
	}
	if w := c.Schedule.Webhook; w != "" {
		// The URL itself is not repeated: webhook URLs often carry their secret.
		if u, err := url.Parse(w); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("schedule.webhook", "must be an http:// or https:// URL")
		}
	}
	return errors.Join(errs...)
}

var (
	reportName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	currency   = regexp.MustCompile(`^[A-Z]{3}$`)
	// Identifier is a BigQuery project, dataset or table name part (tables may end in * for
	// wildcard tables such as events_*).
	tableRef = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_]+){1,2}\*?$`)
	// columnName is a plain BigQuery column name, safe to put between backticks in SQL text.
	columnName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,299}$`)
	projectID  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	// dimensionName is a dimension's name: it is a breakdown name and a JSON value.
	dimensionName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
)

// ValidColumn reports whether name is a plain BigQuery column name.
func ValidColumn(name string) bool { return columnName.MatchString(name) }

// ValidTableRef reports whether s is a safe "project.dataset.table" or "dataset.table" reference.
func ValidTableRef(s string) bool { return len(s) <= 3*1024 && tableRef.MatchString(s) }

// validateInput checks one input under key (the events source or its spend): its kind and the
// block of that kind.
func validateInput(key, kind string, f Files, b BigQuery, bad func(string, string, ...any)) {
	switch kind {
	case "files":
		if len(f.Paths) == 0 {
			bad(key+".files.paths", "at least one path or glob is required for kind files")
		}
		switch f.Format {
		case "", "auto", "parquet", "csv", "ndjson": // empty: a spend source written without format
		default:
			bad(key+".files.format", "%q is not a format (auto | parquet | csv | ndjson)", f.Format)
		}
		validateCSV(key+".files.csv", f.CSV, bad)
	case "bigquery":
		validateBigQuery(b, key+".bigquery", bad)
		validateScale(b, key+".bigquery", key == "source", bad)
	default:
		bad(key+".kind", "%q is not a source kind (files | bigquery)", kind)
	}
}

func validateBigQuery(b BigQuery, key string, bad func(string, string, ...any)) {
	if (b.Table == "") == (b.Query == "") {
		bad(key+".table", "exactly one of table and query is required")
	}
	if b.Table != "" && !ValidTableRef(b.Table) {
		bad(key+".table", "%q is not a table reference (project.dataset.table)", b.Table)
	}
	switch {
	case b.Project == "" && strings.Count(b.Table, ".") != 2:
		bad(key+".project", "required (the project that runs and pays for the query), unless the table is project.dataset.table")
	case strings.Count(b.Table, ".") == 1 && !projectID.MatchString(b.Project):
		// The project completes a dataset.table reference spliced into the SQL text.
		bad(key+".project", "%q is not a project id (letters, digits, '_' and '-')", b.Project)
	}
	if b.MaxBytesBilled < 0 {
		bad(key+".max_bytes_billed", "must not be negative")
	}
	for _, k := range slices.Sorted(maps.Keys(b.Labels)) {
		if !labelKey.MatchString(k) {
			bad(key+".labels."+k, "label keys are lowercase letters, digits, '_' and '-', starting with a letter")
		}
	}
	if b.Retry.Attempts < 0 {
		bad(key+".retry.attempts", "must not be negative (0 means the default, 5)")
	}
	for _, d := range []struct {
		name string
		v    Duration
	}{{"initial_backoff", b.Retry.InitialBackoff}, {"max_backoff", b.Retry.MaxBackoff}, {"deadline", b.Retry.Deadline}} {
		if d.v < 0 {
			bad(key+".retry."+d.name, "must not be negative")
		}
	}
	// The pauses double from initial_backoff up to max_backoff: a lower maximum is a typo. Either
	// left out (0) is its default, as resolve will make it.
	r, def := b.Retry, DefaultRetry()
	if r.InitialBackoff == 0 {
		r.InitialBackoff = def.InitialBackoff
	}
	if r.MaxBackoff == 0 {
		r.MaxBackoff = def.MaxBackoff
	}
	if r.InitialBackoff >= 0 && r.MaxBackoff >= 0 && r.MaxBackoff < r.InitialBackoff {
		bad(key+".retry.max_backoff", "must not be below retry.initial_backoff (%s), is %s", r.InitialBackoff, r.MaxBackoff)
	}
}

var labelKey = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

func (c *Config) validateStages(bad func(string, string, ...any)) {
	if len(c.Stages) < 2 {
		bad("stages", "at least two stages are required")
		return
	}
	names := map[string]int{}
	events := map[string]string{}
	purchases, repeats := 0, 0
	purchaseAt := -1
	for i, s := range c.Stages {
		key := fmt.Sprintf("stages[%d]", i)
		if s.Name == "" {
			bad(key+".name", "a stage needs a name")
		} else if j, dup := names[s.Name]; dup {
			bad(key+".name", "%q is also stages[%d]", s.Name, j)
		}
		names[s.Name] = i
		inDays(key+".within", s.Within, false, bad)
		if s.Purchase && s.RepeatPurchase {
			bad(key, "a stage cannot be both purchase and repeat_purchase")
		}
		if s.Purchase && s.Optional {
			// The funnel never lets the purchase stage be skipped; the read horizon must not either.
			bad(key+".optional", "the purchase stage cannot be optional")
		}
		if s.Purchase {
			purchases++
			purchaseAt = i
		}
		if s.RepeatPurchase {
			repeats++
			if purchaseAt < 0 {
				bad(key+".repeat_purchase", "the repeat stage must come after the purchase stage")
			}
			if len(s.Events) > 0 {
				bad(key+".events", "the repeat stage is derived from orders and matches no events")
			}
			if s.Optional {
				bad(key+".optional", "the repeat stage cannot be optional")
			}
			continue
		}
		if i == 0 && s.Optional {
			bad(key+".optional", "the first stage cannot be optional")
		}
		if i == 0 && s.Within > 0 {
			bad(key+".within", "the first stage has no previous stage to be within")
		}
		if c.Funnel.Match == "events" {
			if len(s.Events) == 0 {
				bad(key+".events", "at least one event_name is required (funnel.match: events)")
			}
			for j, e := range s.Events {
				if prev, dup := events[e]; dup {
					bad(fmt.Sprintf("%s.events[%d]", key, j), "%q already belongs to stage %q", e, prev)
				}
				events[e] = s.Name
			}
		}
	}
	if purchases != 1 {
		bad("stages", "exactly one stage must have purchase: true (found %d)", purchases)
	}
	if repeats > 1 {
		bad("stages", "at most one stage may have repeat_purchase: true (found %d)", repeats)
	}
	if c.Funnel.Match == "stage" {
		labels := map[string]string{}
		for i, s := range c.Stages {
			for j, l := range s.StageLabels() {
				if prev, dup := labels[l]; dup {
					bad(fmt.Sprintf("stages[%d].labels[%d]", i, j), "%q already belongs to stage %q", l, prev)
				}
				labels[l] = s.Name
			}
		}
	}
}

// StageLabels returns the stage-column values that put an event in s (funnel.match: stage).
func (s Stage) StageLabels() []string {
	if s.RepeatPurchase {
		return nil
	}
	if len(s.Labels) > 0 {
		return s.Labels
	}
	return []string{s.Name}
}

// Horizon is the furthest a stage deadline can fall after an attempt's start (SPEC §3): W for a
// stage without within; the previous required stage's bound plus within for one with it.
func (c *Config) Horizon() time.Duration {
	w := c.Funnel.Window.D()
	var bound, max time.Duration
	for i, s := range c.Stages {
		if i == 0 {
			continue
		}
		b := w
		if s.Within > 0 {
			b = bound + s.Within.D()
		}
		if b > max {
			max = b
		}
		if !s.Optional {
			bound = b
		}
	}
	if max < w {
		max = w
	}
	return max
}

// validateCSV checks the CSV options of a files input under key.
func validateCSV(key string, c CSV, bad func(string, string, ...any)) {
	switch d := c.Delimiter; {
	case d == "", d == "whitespace", d == `\t`, d == "tab":
	case len(d) != 1:
		bad(key+".delimiter", "%q is not one character (or whitespace, for runs of spaces and tabs)", d)
	case d == `"` || d == "\n" || d == "\r":
		bad(key+".delimiter", "%q cannot separate fields", d)
	}
	seen := map[string]int{}
	for i, name := range c.Columns {
		k := fmt.Sprintf("%s.columns[%d]", key, i)
		if strings.TrimSpace(name) == "" {
			bad(k, "a column needs a name")
		} else if j, dup := seen[name]; dup {
			bad(k, "%q is also %s.columns[%d]", name, key, j)
		}
		seen[name] = i
	}
}

// Bounds of the config's numbers.
const (
	// MaxWorkers is the most engine.workers: the number of partitions the grouping folds.
	MaxWorkers = 256
	// MaxSpanDays bounds every duration of the KPIs (windows, history, horizon, look-back): ten
	// years, which keeps the work a report does bounded by its data.
	MaxSpanDays = 3660
	// maxListed bounds counts of things listed in the report (top values, pain points, actions).
	maxListed = 1000
)

// inRange checks that an integer key is within [lo, hi].
func inRange(key string, v, lo, hi int, bad func(string, string, ...any)) {
	switch {
	case v < lo && lo == 0:
		bad(key, "must not be negative")
	case v < lo:
		bad(key, "must be at least %d", lo)
	case v > hi:
		bad(key, "%d is more than %d", v, hi)
	}
}

// inDays checks that a duration key is positive (or, unless positive is asked, zero) and at most
// MaxSpanDays.
func inDays(key string, d Duration, positive bool, bad func(string, string, ...any)) {
	switch {
	case positive && d <= 0:
		bad(key, "must be positive")
	case d < 0:
		bad(key, "must not be negative")
	case d.D() > MaxSpanDays*24*time.Hour:
		bad(key, "%s is longer than %dd (ten years)", d, MaxSpanDays)
	}
}

// checkCron parses a cron expression as robfig/cron does. That parser panics on some input
// ("TZ=" with nothing after it), which comes back here as an error.
func checkCron(spec string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	_, err = cron.ParseStandard(spec)
	return err
}
