package bqsql

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/civil"
	"github.com/journeykpi/journeykpi/config"
)

// Param is one named query parameter. Values are time.Time (TIMESTAMP), civil.Date (DATE),
// civil.DateTime (DATETIME) or string (STRING).
type Param struct {
	Name  string
	Value any
}

// Statement is the SQL a read runs and its parameters. The range and every value go in as
// parameters; the text carries only validated identifiers.
type Statement struct {
	SQL    string
	Params []Param
}

// String writes the statement with its parameters, for plan and the About sheet.
func (s Statement) String() string {
	var b strings.Builder
	b.WriteString(s.SQL)
	if !strings.HasSuffix(s.SQL, "\n") {
		b.WriteByte('\n')
	}
	for _, p := range s.Params {
		fmt.Fprintf(&b, "-- @%s = %s\n", p.Name, formatParam(p.Value))
	}
	return b.String()
}

func formatParam(v any) string {
	switch x := v.(type) {
	case []string:
		q := make([]string, len(x))
		for i, e := range x {
			q[i] = quote(e)
		}
		return "ARRAY<STRING> [" + strings.Join(q, ", ") + "]"
	case int64:
		return fmt.Sprintf("INT64 %d", x)
	case time.Time:
		return "TIMESTAMP " + quote(x.UTC().Format("2006-01-02 15:04:05.999999 UTC"))
	case civil.Date:
		return "DATE " + quote(x.String())
	case civil.DateTime:
		return "DATETIME " + quote(x.String())
	case string:
		return "STRING " + quote(x)
	}
	return fmt.Sprint(v)
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// TimeColumn is a table's time column: its name, its BigQuery type and, for an integer column,
// the unit of its epoch values (source.time_unit: s, ms, us or ns; "" is us).
type TimeColumn struct{ Name, Type, Unit string }

// epoch is the integer of param (a TIMESTAMP parameter) in unit.
func epoch(unit, param string) string {
	switch unit {
	case "s":
		return "UNIX_SECONDS(" + param + ")"
	case "ms":
		return "UNIX_MILLIS(" + param + ")"
	case "ns":
		return "UNIX_MICROS(" + param + ") * 1000"
	}
	return "UNIX_MICROS(" + param + ")"
}

// epochTime is the TIMESTAMP of the integer expression x in unit.
func epochTime(unit, x string) string {
	switch unit {
	case "s":
		return "TIMESTAMP_SECONDS(" + x + ")"
	case "ms":
		return "TIMESTAMP_MILLIS(" + x + ")"
	case "ns":
		return "TIMESTAMP_MICROS(DIV(" + x + ", 1000))"
	}
	return "TIMESTAMP_MICROS(" + x + ")"
}

func isInteger(typ string) bool { return typ == "INTEGER" || typ == "INT64" }

// timeFilter is how the range applies to a table's time column, by the column's type.
func timeFilter(tc TimeColumn, start, end time.Time) (string, []Param, error) {
	c := "`" + tc.Name + "`"
	switch tc.Type {
	case "TIMESTAMP":
		return c + " >= @start AND " + c + " < @end", []Param{{"start", start.UTC()}, {"end", end.UTC()}}, nil
	case "INTEGER", "INT64":
		return c + " >= " + epoch(tc.Unit, "@start") + " AND " + c + " < " + epoch(tc.Unit, "@end"),
			[]Param{{"start", start.UTC()}, {"end", end.UTC()}}, nil
	case "DATE":
		// A DATE has no zone: widen by a day each side so every zone's day is in.
		return c + " >= @start AND " + c + " < @end", []Param{{"start", dayOf(start, -1)}, {"end", dayOf(end, 1)}}, nil
	case "DATETIME":
		s, e := start.UTC().AddDate(0, 0, -1), end.UTC().AddDate(0, 0, 1)
		return c + " >= @start AND " + c + " < @end", []Param{{"start", civil.DateTimeOf(s)}, {"end", civil.DateTimeOf(e)}}, nil
	}
	return "", nil, fmt.Errorf("column %q has type %s; a table is filtered on a TIMESTAMP, DATETIME, DATE or INT64 (epoch times in source.time_unit) column; write a query (source.bigquery.query) for anything else", tc.Name, tc.Type)
}

// dayOf is t's UTC date moved by days.
func dayOf(t time.Time, days int) civil.Date {
	return civil.DateOf(t.UTC()).AddDays(days)
}

// Split narrows a read to the purchase-stage events before Full (the split read, source.history:
// orders): Column is the column marking an event's stage (event_name, or the stage column), Values
// the values it has on purchase-stage events.
type Split struct {
	Full   time.Time
	Column string
	Values []string
}

// valid reports whether the split can be written into SQL.
func (s *Split) valid() error {
	if !config.ValidColumn(s.Column) {
		return fmt.Errorf("%q is not a column name", s.Column)
	}
	if len(s.Values) == 0 {
		return errors.New("the split read needs the purchase stage's values")
	}
	return nil
}

// Table selects cols (all when empty) from table, limited to [start, end) on its time column;
// with split, only purchase-stage events before split.Full (split.Column must be a column of the
// table). No ORDER BY: it would force a single read stream.
func Table(table string, cols []string, tc TimeColumn, start, end time.Time, split *Split) (Statement, error) {
	if !config.ValidColumn(tc.Name) {
		return Statement{}, fmt.Errorf("%q is not a column name", tc.Name)
	}
	where, params, err := timeFilter(tc, start, end)
	if err != nil {
		return Statement{}, err
	}
	sel := "*"
	if len(cols) > 0 {
		q := make([]string, len(cols))
		for i, c := range cols {
			if !config.ValidColumn(c) {
				return Statement{}, fmt.Errorf("%q is not a column name", c)
			}
			q[i] = "`" + c + "`"
		}
		sel = strings.Join(q, ", ")
	}
	if split != nil {
		if err := split.valid(); err != nil {
			return Statement{}, err
		}
		// The full part's bound, typed and widened like the range's start.
		full, fp, _ := timeFilter(tc, split.Full, end)
		full, _, _ = strings.Cut(full, " AND ")
		full = strings.Replace(full, "@start", "@full", 1)
		// Trimmed, as the engine reads event names: " purchase" is a purchase.
		where += fmt.Sprintf("\n  AND (%s OR TRIM(`%s`) IN UNNEST(@order_values))", full, split.Column)
		params = append(params, Param{"full", fp[0].Value}, Param{"order_values", split.Values})
	}
	return Statement{
		SQL:    fmt.Sprintf("SELECT %s\nFROM `%s`\nWHERE %s\n", sel, table, where),
		Params: params,
	}, nil
}

var paramRef = regexp.MustCompile(`@(start|end)\b`)

// Query is the user's own query with the range parameters it refers to.
func Query(q string, start, end time.Time) Statement {
	st := Statement{SQL: q}
	used := paramRef.FindAllStringSubmatch(q, -1)
	for _, name := range []string{"start", "end"} {
		if slices.ContainsFunc(used, func(m []string) bool { return m[1] == name }) {
			v := start
			if name == "end" {
				v = end
			}
			st.Params = append(st.Params, Param{name, v.UTC()})
		}
	}
	return st
}

// Latest is the latest value of a table's time column within [start, end) (typed as Table
// filters it, an integer's as a TIMESTAMP), for the freshness check.
func Latest(table string, tc TimeColumn, start, end time.Time) (Statement, error) {
	if !config.ValidColumn(tc.Name) {
		return Statement{}, fmt.Errorf("%q is not a column name", tc.Name)
	}
	where, params, err := timeFilter(tc, start, end)
	if err != nil {
		return Statement{}, err
	}
	latest := "MAX(`" + tc.Name + "`)"
	if isInteger(tc.Type) {
		latest = epochTime(tc.Unit, latest)
	}
	return Statement{SQL: fmt.Sprintf("SELECT %s AS latest\nFROM `%s`\nWHERE %s\n", latest, table, where), Params: params}, nil
}
