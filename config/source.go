package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/journeykpi/journeykpi/internal/expression"
	"github.com/journeykpi/journeykpi/kpi"
	"go.yaml.in/yaml/v3"
)

// Dimension is one extra column the user names for breakdowns (country, device…).
type Dimension struct {
	Name   string // the dimension's name in the config and the report
	Column string // the source column it is read from
}

// Dimensions map dimension names onto source columns, in the order the config writes them (a
// YAML mapping, {country: Country, device: device_category}).
type Dimensions []Dimension

// UnmarshalYAML implements yaml.Unmarshaler: a mapping, its order kept.
func (d *Dimensions) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return unitError(n, fmt.Errorf("expected a mapping of dimension names to columns, as in {country: Country}"))
	}
	out := Dimensions{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return unitError(v, fmt.Errorf("expected a column name for dimension %q", k.Value))
		}
		out = append(out, Dimension{Name: k.Value, Column: v.Value})
	}
	*d = out
	return nil
}

// MarshalYAML implements yaml.Marshaler: a mapping in the config's order.
func (d Dimensions) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, dim := range d {
		n.Content = append(n.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: dim.Name},
			&yaml.Node{Kind: yaml.ScalarNode, Value: dim.Column})
	}
	return n, nil
}

// Names returns the dimensions' names in order.
func (d Dimensions) Names() []string {
	out := make([]string, len(d))
	for i, dim := range d {
		out[i] = dim.Name
	}
	return out
}

// Breakdowns that are not dimensions: the funnel's built-in ones.
var builtinBreakdowns = []string{"first_touchpoint", "segment", "entry_week"}

// ContractColumns are the canonical names of the data contract's columns, in contract order.
var ContractColumns = []string{"customer_id", "event_time", "event_name", "stage", "touchpoint", "campaign",
	"segment", "order_id", "revenue", "sentiment", "line_id"}

// Mapped returns the source column mapped onto contract column canonical ("" when canonical is
// not a contract column).
func (c Columns) Mapped(canonical string) string {
	switch canonical {
	case "customer_id":
		return c.CustomerID
	case "event_time":
		return c.EventTime
	case "event_name":
		return c.EventName
	case "stage":
		return c.Stage
	case "touchpoint":
		return c.Touchpoint
	case "campaign":
		return c.Campaign
	case "segment":
		return c.Segment
	case "order_id":
		return c.OrderID
	case "revenue":
		return c.Revenue
	case "sentiment":
		return c.Sentiment
	case "line_id":
		return c.LineID
	}
	return ""
}

// Programs are the source's expressions, compiled: source.derive by contract column or dimension
// name, and source.where (nil when there is none).
type Programs struct {
	Derive map[string]*expression.Program
	Where  *expression.Program
	// from are the texts they were compiled from, in the config's time zone: a config changed
	// after it loaded compiles again.
	from string
}

// programsKey is what the programs of s compile from.
func (c *Config) programsKey() string {
	s := &c.Source
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(s.Derive)) {
		fmt.Fprintf(&b, "%q=%q;", k, s.Derive[k])
	}
	fmt.Fprintf(&b, "where=%q;text=%v;tz=%q/%q", s.Where, s.textOnly(), s.TimeZone, c.Report.Timezone)
	return b.String()
}

// Programs returns the compiled expressions of the source. They are compiled when the config is
// loaded (config.Parse), which reports a bad one naming its key; a Config built in code is
// compiled here, and an error names the key.
func (c *Config) Programs() (*Programs, error) {
	if c.programs != nil && c.programs.from == c.programsKey() {
		return c.programs, nil
	}
	p, errs := c.compilePrograms()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return p, nil
}

// compilePrograms compiles source.derive and source.where, returning every problem, each
// naming its key.
func (c *Config) compilePrograms() (*Programs, []error) {
	s := &c.Source
	text := s.textOnly()
	loc := s.TimeZone
	if loc == "" {
		loc = c.Report.Timezone
	}
	p := &Programs{Derive: map[string]*expression.Program{}, from: c.programsKey()}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(s.Derive)) {
		prog, err := expression.Compile(s.Derive[k], expression.Value, text, loc)
		if err != nil {
			errs = append(errs, fmt.Errorf("source.derive.%s: %w", k, err))
			continue
		}
		p.Derive[k] = prog
	}
	if s.Where != "" {
		prog, err := expression.Compile(s.Where, expression.Condition, text, loc)
		if err != nil {
			errs = append(errs, fmt.Errorf("source.where: %w", err))
		} else {
			p.Where = prog
		}
	}
	return p, errs
}

// textOnly reports whether every column of the source is known to be text: a files source of
// CSV or NDJSON files only (by format, or by every path's extension).
func (s *Source) textOnly() bool {
	if s.Kind != "files" || len(s.Files.Paths) == 0 {
		return false
	}
	switch s.Files.Format {
	case "csv", "ndjson":
		return true
	case "", "auto":
	default:
		return false
	}
	for _, p := range s.Files.Paths {
		l := strings.TrimSuffix(strings.ToLower(p), ".gz")
		if !strings.HasSuffix(l, ".csv") && !strings.HasSuffix(l, ".ndjson") && !strings.HasSuffix(l, ".jsonl") && !strings.HasSuffix(l, ".json") {
			return false
		}
	}
	return true
}

// SourceColumns returns the source columns a run reads, each once, in a stable order: the
// contract columns that are mapped rather than derived, the dimensions' columns, and the columns
// the expressions read.
func (c *Config) SourceColumns() []string {
	var out []string
	seen := map[string]bool{}
	add := func(col string) {
		if col != "" && !seen[col] {
			seen[col] = true
			out = append(out, col)
		}
	}
	s := &c.Source
	for _, k := range ContractColumns {
		if _, derived := s.Derive[k]; !derived {
			add(s.Columns.Mapped(k))
		}
	}
	for _, d := range s.Columns.Dimensions {
		if _, derived := s.Derive[d.Name]; !derived {
			add(d.Column)
		}
	}
	if p, err := c.Programs(); err == nil {
		for _, k := range slices.Sorted(maps.Keys(p.Derive)) {
			for _, col := range p.Derive[k].Columns() {
				add(col)
			}
		}
		if p.Where != nil {
			for _, col := range p.Where.Columns() {
				add(col)
			}
		}
	}
	return out
}

// validateSourceShape checks the keys that say how the source's rows become events: the
// dimensions, the expressions, order lines.
func (c *Config) validateSourceShape(bad func(string, string, ...any)) {
	s := &c.Source
	dims := s.Columns.Dimensions
	// As many as an event carries (kpi.MaxDims).
	if len(dims) > kpi.MaxDims {
		bad("source.columns.dimensions", "%d dimensions; at most %d", len(dims), kpi.MaxDims)
	}
	dimNames := map[string]bool{}
	for _, d := range dims {
		key := "source.columns.dimensions." + d.Name
		switch {
		case !dimensionName.MatchString(d.Name):
			bad(key, "a dimension name is lowercase letters, digits and '_', starting with a letter")
		case slices.Contains(builtinBreakdowns, d.Name) || slices.Contains(ContractColumns, d.Name):
			bad(key, "%q is already a column of the data contract or a breakdown; name the dimension otherwise", d.Name)
		case dimNames[d.Name]:
			bad(key, "dimension %q is mapped twice", d.Name)
		}
		if d.Column == "" {
			bad(key, "the source column is missing")
		}
		dimNames[d.Name] = true
	}
	def := DefaultColumns()
	for _, k := range slices.Sorted(maps.Keys(s.Derive)) {
		switch {
		case dimNames[k]:
		case slices.Contains(ContractColumns, k):
			if s.Columns.Mapped(k) != def.Mapped(k) {
				bad("source.derive."+k, "%s is also mapped by source.columns.%s; keep one", k, k)
			}
		default:
			bad("source.derive."+k, "%q is not a column of the data contract (%s) or a dimension of source.columns.dimensions",
				k, strings.Join(ContractColumns, ", "))
		}
	}
	if _, err := s.TimeLayout(); err != nil {
		bad("source.time_format", "%v", err)
	}
	switch s.TimeUnit {
	case "", "s", "ms", "us", "ns":
		if s.TimeUnit != "" && s.TimeFormat != "" {
			bad("source.time_unit", "integers are read with source.time_format; give one of the two")
		}
	default:
		bad("source.time_unit", "%q is not a unit of epoch times (s | ms | us | ns)", s.TimeUnit)
	}
	if s.Kind == "bigquery" && s.BigQuery.Sync.Table != "" {
		// The compact table keeps the contract's mapped columns only.
		def := DefaultColumns()
		if len(s.Derive) > 0 || s.Where != "" || len(s.Columns.Dimensions) > 0 || s.Columns.LineID != def.LineID {
			bad("source.bigquery.sync.table", "the compact touchpoint table keeps the contract's mapped columns only: source.derive, source.where, line_id and dimensions cannot be read through it")
		}
	}
	switch s.OrderLines {
	case "first", "sum":
	default:
		bad("source.order_lines", "%q is not an order-lines rule (first | sum)", s.OrderLines)
	}
	p, errs := c.compilePrograms()
	for _, e := range errs {
		key, msg, _ := strings.Cut(e.Error(), ": ")
		bad(key, "%s", msg)
	}
	if len(errs) == 0 {
		// Kept for Programs, which compiles again only when the config changes after this.
		c.programs = p
	}
}

// isDefault reports whether every contract column keeps its canonical name and no dimension is
// mapped.
func (c Columns) isDefault() bool {
	def := DefaultColumns()
	for _, k := range ContractColumns {
		if c.Mapped(k) != def.Mapped(k) {
			return false
		}
	}
	return len(c.Dimensions) == 0
}

// TimeUnitNanos returns the nanoseconds per unit of integer epoch event times
// (source.time_unit), or 0 when it is not set.
func (s *Source) TimeUnitNanos() int64 {
	return map[string]int64{"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1}[s.TimeUnit]
}
