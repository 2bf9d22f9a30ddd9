package bigquery

import (
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

// column is a source column name as BigQuery allows it unquoted; anything else is refused rather
// than quoted, so that no config text reaches the SQL unchecked.

// timeFilter is how the range applies to a table's time column, by the column's type.
func timeFilter(col, typ string, start, end time.Time) (string, []Param, error) {
	c := "`" + col + "`"
	switch typ {
	case "TIMESTAMP":
		return c + " >= @start AND " + c + " < @end", []Param{{"start", start.UTC()}, {"end", end.UTC()}}, nil
	case "INTEGER", "INT64":
		return c + " >= UNIX_MICROS(@start) AND " + c + " < UNIX_MICROS(@end)", []Param{{"start", start.UTC()}, {"end", end.UTC()}}, nil
	case "DATE":
		// A DATE has no zone: widen by a day each side so every zone's day is in.
		return c + " >= @start AND " + c + " < @end", []Param{{"start", dayOf(start, -1)}, {"end", dayOf(end, 1)}}, nil
	case "DATETIME":
		s, e := start.UTC().AddDate(0, 0, -1), end.UTC().AddDate(0, 0, 1)
		return c + " >= @start AND " + c + " < @end", []Param{{"start", civil.DateTimeOf(s)}, {"end", civil.DateTimeOf(e)}}, nil
	}
	return "", nil, fmt.Errorf("column %q has type %s; a table is filtered on a TIMESTAMP, DATETIME, DATE or INT64 (epoch micros) column; write a query (source.bigquery.query) for anything else", col, typ)
}

// dayOf is t's UTC date moved by days.
func dayOf(t time.Time, days int) civil.Date {
	return civil.DateOf(t.UTC()).AddDays(days)
}

// tableStatement selects cols (all when empty) from table, limited to [start, end) on timeCol,
// whose BigQuery type is timeType. No ORDER BY: it would force a single read stream.
func tableStatement(table string, cols []string, timeCol, timeType string, start, end time.Time) (Statement, error) {
	if !config.ValidColumn(timeCol) {
		return Statement{}, fmt.Errorf("%q is not a column name", timeCol)
	}
	where, params, err := timeFilter(timeCol, timeType, start, end)
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
	return Statement{
		SQL:    fmt.Sprintf("SELECT %s\nFROM `%s`\nWHERE %s\n", sel, table, where),
		Params: params,
	}, nil
}

var paramRef = regexp.MustCompile(`@(start|end)\b`)

// queryStatement is the user's own query with the range parameters it refers to.
func queryStatement(q string, start, end time.Time) Statement {
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

// GA4Columns are the canonical columns the GA4 preset produces.
var GA4Columns = []string{"customer_id", "event_time", "event_name", "touchpoint", "campaign", "segment", "order_id", "revenue"}

// ga4Statement maps the GA4 export (daily tables events_YYYYMMDD) onto the data contract. The
// date shards are pruned with _TABLE_SUFFIX, a day wider each side than the range because a
// property's days are in its own time zone; event_timestamp then bounds the range exactly.
// Intraday tables (events_intraday_*) fall outside the suffix range and are not read.
func ga4Statement(table string, start, end time.Time) (Statement, error) {
	if !strings.HasSuffix(table, ".events_*") {
		return Statement{}, fmt.Errorf("the ga4 preset reads the export's wildcard table, project.dataset.events_*, not %q", table)
	}
	sql := "SELECT\n" +
		"  user_pseudo_id AS customer_id,\n" +
		"  TIMESTAMP_MICROS(event_timestamp) AS event_time,\n" +
		"  event_name,\n" +
		"  COALESCE((SELECT value.string_value FROM UNNEST(event_params) WHERE key = 'medium'), traffic_source.medium) AS touchpoint,\n" +
		"  COALESCE((SELECT value.string_value FROM UNNEST(event_params) WHERE key = 'campaign'), traffic_source.name) AS campaign,\n" +
		"  device.category AS segment,\n" +
		"  NULLIF(ecommerce.transaction_id, '(not set)') AS order_id,\n" +
		"  ecommerce.purchase_revenue AS revenue\n" +
		"FROM `" + table + "`\n" +
		"WHERE _TABLE_SUFFIX BETWEEN @start_suffix AND @end_suffix\n" +
		"  AND event_timestamp >= UNIX_MICROS(@start)\n" +
		"  AND event_timestamp < UNIX_MICROS(@end)\n"
	return Statement{SQL: sql, Params: []Param{
		{"start_suffix", suffix(start, -1)},
		{"end_suffix", suffix(end, 1)},
		{"start", start.UTC()},
		{"end", end.UTC()},
	}}, nil
}

func suffix(t time.Time, days int) string {
	return t.UTC().AddDate(0, 0, days).Format("20060102")
}
