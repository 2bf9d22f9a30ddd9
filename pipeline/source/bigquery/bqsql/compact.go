package bqsql

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/civil"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/group"
)

// The compact touchpoint table holds exactly the data contract's columns and customer_key, a
// 64-bit fingerprint of customer_id (FARM_FINGERPRINT), partitioned by the event's UTC day and
// clustered by event name and customer key. A report's split read then prunes to the days it
// needs and, before the compared periods, to the purchase events' blocks; a shard's read prunes
// to its customers' keys. Beside it, <table>_days records each synced day (when, how many rows,
// how many were left out) and, for GA4, <table>_identity maps each device to the latest user_id
// seen for it.

// Compact is a compact touchpoint table.
type Compact struct {
	// Table is project.dataset.table.
	Table string
	// GA4 says it was synced from a GA4 export: it holds refund events, and the identity table.
	GA4 bool
	// Identity keys a device's events on the latest user_id seen for it (GA4).
	Identity bool
	// NetRefunds subtracts the refunds of an order read in the range from its revenue (GA4).
	NetRefunds bool
}

// DaysTable is the table of synced days beside the compact table.
func (c Compact) DaysTable() string { return c.Table + "_days" }

// IdentityTable is the device → user_id table beside the compact table.
func (c Compact) IdentityTable() string { return c.Table + "_identity" }

// compactColumns are the compact table's columns in order, with their types.
var compactColumns = [][2]string{
	{"customer_id", "STRING"}, {"customer_key", "INT64"}, {"event_time", "TIMESTAMP NOT NULL"}, {"event_name", "STRING"},
	{"stage", "STRING"}, {"touchpoint", "STRING"}, {"campaign", "STRING"}, {"segment", "STRING"}, {"order_id", "STRING"},
	{"revenue", "FLOAT64"}, {"sentiment", "FLOAT64"},
}

// ContractColumns are the data contract's columns the compact table holds, in order.
var ContractColumns = []string{"customer_id", "event_time", "event_name", "stage", "touchpoint", "campaign", "segment", "order_id", "revenue", "sentiment"}

// Shard selects the customers of the engine's partitions First..Last (inclusive): a customer's
// partition is the top byte of its key times group.Mix.
type Shard struct{ First, Last int }

// keyRanges are the stored customer_key ranges (inclusive, signed) of the shard's customers: the
// compact read gives the engine unmix(customer_key) as the customer, whose partition is then the
// top byte of customer_key itself, so a shard is one run of unsigned keys; as signed INT64 it is
// one range, or two when it spans the sign. An unused range is empty (low above high).
func (s Shard) keyRanges() [2][2]int64 {
	lo := uint64(s.First) << 56
	hi := uint64(s.Last)<<56 | (1<<56 - 1)
	switch {
	case hi < 1<<63 || lo >= 1<<63:
		return [2][2]int64{{int64(lo), int64(hi)}, {1, 0}}
	}
	return [2][2]int64{{int64(lo), math.MaxInt64}, {math.MinInt64, int64(hi)}}
}

// mixInverse is group.Mix's inverse modulo 2⁶⁴.
var mixInverse = func() *big.Int {
	m := new(big.Int).Lsh(big.NewInt(1), 64)
	return new(big.Int).ModInverse(new(big.Int).SetUint64(group.Mix), m)
}()

const twoTo64, twoTo63 = "BIGNUMERIC '18446744073709551616'", "BIGNUMERIC '9223372036854775808'"

// CompactRead reads the compact table for [start, end): the columns of want (canonical names),
// each given the name out says (the source's names, as the pipeline maps them), the customer as
// the integer unmix(customer_key) so that the engine's partition of it is the top byte of the key.
// With split, only the rows of split.Values in split.Column before split.Full; with shard, only
// that shard's customers. Refund rows are never passed on.
func CompactRead(c Compact, want []string, out config.Columns, start, end time.Time, split *Split, shard *Shard, orderEvents []string) (Statement, error) {
	need := map[string]bool{"event_time": true, "event_name": true}
	for _, w := range want {
		if !slices.Contains(ContractColumns, w) {
			return Statement{}, fmt.Errorf("the compact table has no column %q", w)
		}
		need[w] = true
	}
	if c.NetRefunds {
		need["order_id"] = true
	}
	if split != nil {
		if err := split.valid(); err != nil {
			return Statement{}, err
		}
		need[split.Column] = true
	}
	var cols []string
	if c.Identity {
		cols = append(cols, "customer_id")
	} else {
		cols = append(cols, "customer_key")
	}
	for _, col := range ContractColumns[1:] {
		if need[col] {
			cols = append(cols, col)
		}
	}
	params := []Param{{"start", start.UTC()}, {"end", end.UTC()}}
	shardFilter := ""
	if shard != nil {
		r := shard.keyRanges()
		params = append(params, Param{"key_lo1", r[0][0]}, Param{"key_hi1", r[0][1]}, Param{"key_lo2", r[1][0]}, Param{"key_hi2", r[1][1]})
		shardFilter = "(%[1]s BETWEEN @key_lo1 AND @key_hi1 OR %[1]s BETWEEN @key_lo2 AND @key_hi2)"
	}
	branch := func(from, to, extra string) string {
		w := fmt.Sprintf("event_time >= %s AND event_time < %s AND event_name IS DISTINCT FROM 'refund'", from, to)
		if extra != "" {
			w += "\n    AND " + extra
		}
		if shardFilter != "" && !c.Identity {
			w += "\n    AND " + fmt.Sprintf(shardFilter, "customer_key")
		}
		return fmt.Sprintf("  SELECT %s\n  FROM `%s`\n  WHERE %s", strings.Join(cols, ", "), c.Table, w)
	}
	var b strings.Builder
	b.WriteString("WITH picked AS (\n")
	if split == nil {
		b.WriteString(branch("@start", "@end", ""))
	} else {
		// Two branches, so that each prunes on the partitions and the older one on the
		// clustered event names too.
		b.WriteString(branch("@full", "@end", ""))
		b.WriteString("\n  UNION ALL\n")
		b.WriteString(branch("@start", "@full", "`"+split.Column+"` IN UNNEST(@order_values)"))
		params = append(params, Param{"full", split.Full.UTC()}, Param{"order_values", split.Values})
	}
	b.WriteString("\n),\nkeyed AS (\n")
	if c.Identity {
		b.WriteString("  SELECT p.* EXCEPT (customer_id),\n")
		b.WriteString("    FARM_FINGERPRINT(COALESCE(CONCAT('user:', m.user_id), p.customer_id)) AS customer_key\n")
		fmt.Fprintf(&b, "  FROM picked p LEFT JOIN `%s` m ON m.client_key = p.customer_id\n", c.IdentityTable())
	} else {
		b.WriteString("  SELECT * FROM picked\n")
	}
	b.WriteString("),\nunmixed AS (\n")
	fmt.Fprintf(&b, "  SELECT *, MOD(IF(customer_key < 0, customer_key + %s, CAST(customer_key AS BIGNUMERIC))\n", twoTo64)
	fmt.Fprintf(&b, "    * BIGNUMERIC '%s', %s) AS customer\n", mixInverse.String(), twoTo64)
	b.WriteString("  FROM keyed\n")
	if shardFilter != "" && c.Identity {
		b.WriteString("  WHERE " + fmt.Sprintf(shardFilter, "customer_key") + "\n")
	}
	b.WriteString(")")
	if c.NetRefunds {
		b.WriteString(",\nrefunds AS (\n  SELECT order_id, SUM(revenue) AS refunded\n")
		fmt.Fprintf(&b, "  FROM `%s`\n", c.Table)
		b.WriteString("  WHERE event_time >= @start AND event_time < @end AND event_name = 'refund' AND order_id IS NOT NULL\n")
		b.WriteString("  GROUP BY order_id\n)")
		if split == nil {
			params = append(params, Param{"order_values", orderEvents})
		}
	}
	b.WriteString("\nSELECT\n")
	sel := []string{fmt.Sprintf("  CAST(IF(customer >= %s, customer - %s, customer) AS INT64) AS `%s`", twoTo63, twoTo64, out.CustomerID)}
	for _, col := range ContractColumns[1:] {
		if !need[col] || !slices.Contains(want, col) {
			continue
		}
		if !config.ValidColumn(out.Mapped(col)) {
			return Statement{}, fmt.Errorf("%q is not a column name", out.Mapped(col))
		}
		expr := col
		if col == "revenue" && c.NetRefunds {
			expr = "IF(event_name IN UNNEST(@order_values), GREATEST(revenue - COALESCE(refunded, 0), 0), revenue)"
		}
		sel = append(sel, fmt.Sprintf("  %s AS `%s`", expr, out.Mapped(col)))
	}
	b.WriteString(strings.Join(sel, ",\n"))
	b.WriteString("\nFROM unmixed")
	if c.NetRefunds {
		b.WriteString(" LEFT JOIN refunds USING (order_id)")
	}
	b.WriteString("\n")
	return Statement{SQL: b.String(), Params: params}, nil
}

// CompactLatest is the latest event time of the compact table in [from, end), refunds aside.
func CompactLatest(c Compact, from, end time.Time) Statement {
	return Statement{
		SQL: "SELECT MAX(event_time) AS latest\nFROM `" + c.Table + "`\n" +
			"WHERE event_time >= @start AND event_time < @end AND event_name IS DISTINCT FROM 'refund'\n",
		Params: []Param{{"start", from.UTC()}, {"end", end.UTC()}},
	}
}

// CompactLeftOut counts the rows the sync left out of the days from..last (GA4: without a client
// id), from the days table.
func CompactLeftOut(c Compact, from, last civil.Date) Statement {
	return Statement{
		SQL: "SELECT COALESCE(SUM(no_client_id), 0) AS no_client_id, COUNT(*) AS days_synced\nFROM `" + c.DaysTable() + "`\n" +
			"WHERE day BETWEEN @first_day AND @last_day\n",
		Params: []Param{{"first_day", from}, {"last_day", last}},
	}
}

// Sync is the script that rebuilds the compact table's days from..to (UTC, inclusive) in one
// transaction: it creates the tables when they do not exist, stages the rows (staging: a SELECT
// of the contract's columns, user_id and no_client_id), then deletes those days and inserts the
// staged rows, records the days and, for GA4, updates the identity table; an error rolls it all
// back. It ends with one row per day rebuilt: rows staged, kept, left out, refunds.
func Sync(c Compact, staging Statement, from, to civil.Date) Statement {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS `%s` (\n", c.Table)
	for i, col := range compactColumns {
		sep := ","
		if i == len(compactColumns)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  %s %s%s\n", col[0], col[1], sep)
	}
	b.WriteString(")\nPARTITION BY DATE(event_time)\nCLUSTER BY event_name, customer_key\n")
	b.WriteString("OPTIONS (require_partition_filter = TRUE, description = 'journeykpi: compact touchpoint table, kept by journeykpi sync');\n")
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS `%s` (\n", c.DaysTable())
	b.WriteString("  day DATE NOT NULL,\n  synced_at TIMESTAMP NOT NULL,\n  rows_staged INT64,\n  rows_kept INT64,\n  no_client_id INT64,\n  refunds INT64\n)\n")
	b.WriteString("OPTIONS (description = 'journeykpi: the days journeykpi sync rebuilt');\n")
	if c.GA4 {
		fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS `%s` (\n", c.IdentityTable())
		b.WriteString("  client_key STRING NOT NULL,\n  user_id STRING NOT NULL,\n  last_seen TIMESTAMP NOT NULL\n)\nCLUSTER BY client_key\n")
		b.WriteString("OPTIONS (description = 'journeykpi: the latest user_id seen for each device');\n")
	}
	b.WriteString("CREATE TEMP TABLE staged AS\n")
	b.WriteString(strings.TrimRight(staging.SQL, "\n;"))
	b.WriteString(";\nBEGIN TRANSACTION;\n")
	fmt.Fprintf(&b, "DELETE FROM `%s` WHERE DATE(event_time) BETWEEN @from_day AND @to_day;\n", c.Table)
	fmt.Fprintf(&b, "INSERT INTO `%s` (%s)\n", c.Table, "customer_id, customer_key, "+strings.Join(ContractColumns[1:], ", "))
	b.WriteString("SELECT customer_id, FARM_FINGERPRINT(customer_id), " + strings.Join(ContractColumns[1:], ", ") + "\n")
	b.WriteString("FROM staged\nWHERE NOT no_client_id;\n")
	fmt.Fprintf(&b, "DELETE FROM `%s` WHERE day BETWEEN @from_day AND @to_day;\n", c.DaysTable())
	fmt.Fprintf(&b, "INSERT INTO `%s` (day, synced_at, rows_staged, rows_kept, no_client_id, refunds)\n", c.DaysTable())
	b.WriteString("SELECT d, CURRENT_TIMESTAMP(), COUNT(s.event_time), COUNTIF(NOT s.no_client_id), COUNTIF(s.no_client_id),\n")
	b.WriteString("  COUNTIF(s.event_name = 'refund')\n")
	b.WriteString("FROM UNNEST(GENERATE_DATE_ARRAY(@from_day, @to_day)) AS d\n")
	b.WriteString("LEFT JOIN staged s ON DATE(s.event_time) = d\nGROUP BY d;\n")
	if c.GA4 {
		fmt.Fprintf(&b, "MERGE `%s` m\n", c.IdentityTable())
		b.WriteString("USING (\n  SELECT customer_id AS client_key,\n")
		b.WriteString("    ARRAY_AGG(user_id ORDER BY event_time DESC, user_id LIMIT 1)[OFFSET(0)] AS user_id,\n")
		b.WriteString("    MAX(event_time) AS last_seen\n")
		b.WriteString("  FROM staged\n  WHERE customer_id IS NOT NULL AND user_id IS NOT NULL\n  GROUP BY customer_id\n) u\n")
		b.WriteString("ON m.client_key = u.client_key\n")
		b.WriteString("WHEN MATCHED AND u.last_seen >= m.last_seen THEN UPDATE SET user_id = u.user_id, last_seen = u.last_seen\n")
		b.WriteString("WHEN NOT MATCHED THEN INSERT (client_key, user_id, last_seen) VALUES (u.client_key, u.user_id, u.last_seen);\n")
	}
	b.WriteString("COMMIT TRANSACTION;\n")
	fmt.Fprintf(&b, "SELECT day, rows_staged, rows_kept, no_client_id, refunds\nFROM `%s`\nWHERE day BETWEEN @from_day AND @to_day\nORDER BY day;\n", c.DaysTable())
	params := append(append([]Param(nil), staging.Params...), Param{"from_day", from}, Param{"to_day", to})
	return Statement{SQL: b.String(), Params: params}
}

// SyncSource is a table or query (not the GA4 export) a compact table is synced from: the
// source's column for each contract column ("" when it has none) and the BigQuery types of the
// source's columns.
type SyncSource struct {
	Table, Query string
	Names        config.Columns
	Types        map[string]string
	// TimeZone is the zone of DATETIME and DATE event times (source.timezone).
	TimeZone string
	// Time is the event_time column (Names.EventTime) as a report's read filters it: its type and
	// the unit of integer epoch times (source.time_unit; "" is us).
	Time TimeColumn
}

// SourceStaging is the SELECT a sync stages for the days from..to (UTC, inclusive) from a table
// or query: its columns converted to the compact table's types (ids and names as STRING, the
// time as TIMESTAMP, revenue and sentiment as FLOAT64).
func SourceStaging(s SyncSource, from, to civil.Date) (Statement, error) {
	first, end := dayStart(from), dayStart(to.AddDays(1))
	if tc := s.Time; tc.Name != s.Names.EventTime || tc.Type != s.Types[tc.Name] {
		return Statement{}, fmt.Errorf("the time column %q (%s) is not the event_time column %q (%s)", tc.Name, tc.Type, s.Names.EventTime, s.Types[s.Names.EventTime])
	}
	var sel []string
	var timeExpr string
	for _, col := range ContractColumns {
		src := s.Names.Mapped(col)
		typ, ok := s.Types[src]
		if !ok || src == "" {
			if col == "event_time" || col == "customer_id" {
				return Statement{}, fmt.Errorf("the source has no column %q for %s", src, col)
			}
			t := "STRING"
			if col == "revenue" || col == "sentiment" {
				t = "FLOAT64"
			}
			sel = append(sel, fmt.Sprintf("  CAST(NULL AS %s) AS %s", t, col))
			continue
		}
		if !config.ValidColumn(src) {
			return Statement{}, fmt.Errorf("%q is not a column name", src)
		}
		q := "`" + src + "`"
		var expr string
		switch col {
		case "event_time":
			switch typ {
			case "TIMESTAMP":
				expr = q
			case "INTEGER", "INT64":
				expr = epochTime(s.Time.Unit, q)
			case "DATETIME", "DATE":
				expr = "TIMESTAMP(" + q + ", @tz)"
			default:
				return Statement{}, fmt.Errorf("column %q (event_time) has type %s; sync reads TIMESTAMP, DATETIME, DATE or INT64 (epoch times in source.time_unit) times; write a query that converts it", src, typ)
			}
			timeExpr = expr
		case "revenue", "sentiment":
			switch typ {
			case "FLOAT", "FLOAT64":
				expr = q
			case "INTEGER", "INT64", "NUMERIC", "BIGNUMERIC":
				expr = "CAST(" + q + " AS FLOAT64)"
			default:
				return Statement{}, fmt.Errorf("column %q (%s) has type %s; sync needs a number; write a query that converts it", src, col, typ)
			}
		default:
			switch typ {
			case "STRING":
				expr = q
				if col == "event_name" {
					// Trimmed, as the engine reads it, so that the split read's exact match on
					// the clustered names finds " purchase" too.
					expr = "TRIM(" + q + ")"
				}
			case "RECORD", "STRUCT", "JSON", "GEOGRAPHY", "BYTES":
				return Statement{}, fmt.Errorf("column %q (%s) has type %s; write a query that converts it to text", src, col, typ)
			default:
				expr = "CAST(" + q + " AS STRING)"
			}
		}
		sel = append(sel, fmt.Sprintf("  %s AS %s", expr, col))
	}
	sel = append(sel, "  CAST(NULL AS STRING) AS user_id", "  FALSE AS no_client_id")
	var b strings.Builder
	b.WriteString("SELECT\n" + strings.Join(sel, ",\n") + "\n")
	params := []Param{{"start", first}, {"end", end}}
	if strings.Contains(timeExpr, "@tz") {
		tz := s.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		params = append(params, Param{"tz", tz})
	}
	switch {
	case s.Table != "":
		fmt.Fprintf(&b, "FROM `%s`\n", s.Table)
		typ := s.Time.Type
		switch {
		case isInteger(typ):
			// The bounds in the column's unit, so that BigQuery can prune on the column itself:
			// the same rows as converting each value, the bounds being whole days.
			where, _, err := timeFilter(s.Time, first, end)
			if err != nil {
				return Statement{}, err
			}
			fmt.Fprintf(&b, "WHERE %s\n", where)
		case typ == "DATE" || typ == "DATETIME":
			// Prune on the column itself, a day wider each side, before the exact bound.
			where, wp, err := timeFilter(s.Time, first, end)
			if err != nil {
				return Statement{}, err
			}
			where = strings.NewReplacer("@start", "@start_wide", "@end", "@end_wide").Replace(where)
			fmt.Fprintf(&b, "WHERE %s\n  AND %s >= @start AND %s < @end\n", where, timeExpr, timeExpr)
			params = append(params, Param{"start_wide", wp[0].Value}, Param{"end_wide", wp[1].Value})
		default:
			fmt.Fprintf(&b, "WHERE %s >= @start AND %s < @end\n", timeExpr, timeExpr)
		}
	default:
		fmt.Fprintf(&b, "FROM (\n%s\n) AS source_query\n", strings.TrimRight(s.Query, "\n;"))
		fmt.Fprintf(&b, "WHERE %s >= @start AND %s < @end\n", timeExpr, timeExpr)
	}
	return Statement{SQL: b.String(), Params: params}, nil
}

// CompactSynced lists, as one JSON text, the days from..last synced into the compact table and
// when: what a report's input fingerprint of the compact table goes by.
func CompactSynced(c Compact, from, last civil.Date) Statement {
	return Statement{
		SQL: "SELECT TO_JSON_STRING(ARRAY_AGG(STRUCT(day, synced_at) ORDER BY day)) AS synced\nFROM `" + c.DaysTable() + "`\n" +
			"WHERE day BETWEEN @first_day AND @last_day\n",
		Params: []Param{{"first_day", from}, {"last_day", last}},
	}
}
