package config

import (
	"strings"
	"testing"
)

func TestSourceShapeProblemsNameTheirKey(t *testing.T) {
	for _, c := range []struct {
		name, yaml, want string
	}{
		{"bad expression", `source: {files: {paths: [a.csv]}, derive: {revenue: "Quantity *"}}`,
			`source.derive.revenue: "Quantity *": unexpected token EOF`},
		{"text used as a number", `source: {files: {paths: [a.csv]}, derive: {revenue: "Quantity * UnitPrice"}}`,
			"source.derive.revenue: \"Quantity * UnitPrice\": invalid operation: * (mismatched types string and string) (at column 10) (Quantity, UnitPrice are text here, as every column of a CSV or NDJSON file is: read a number with float(Quantity)"},
		{"where not a condition", `source: {files: {paths: [a.csv]}, where: "Country"}`,
			`source.where: "Country": expected bool`},
		{"unknown function", `source: {files: {paths: [a.parquet]}, where: "isnull(x)"}`,
			`source.where: "isnull(x)": unknown function isnull`},
		{"unknown derived column", `source: {files: {paths: [a.csv]}, derive: {revnue: "'1'"}}`,
			`source.derive.revnue: "revnue" is not a column of the data contract`},
		{"derived and mapped", `source: {files: {paths: [a.csv]}, columns: {revenue: price}, derive: {revenue: "float(x)"}}`,
			"source.derive.revenue: revenue is also mapped by source.columns.revenue; keep one"},
		{"too many dimensions", `source: {files: {paths: [a.csv]}, columns: {dimensions: {a: A, b: B, c: C, d: D}}}`,
			"source.columns.dimensions: 4 dimensions; at most 3"},
		{"dimension named like a contract column", `source: {files: {paths: [a.csv]}, columns: {dimensions: {segment: S}}}`,
			`source.columns.dimensions.segment: "segment" is already a column`},
		{"derive through the compact table", `source: {kind: bigquery, bigquery: {project: p, table: p.d.events, sync: {table: p.d.compact}}, where: "x != nil"}`,
			"source.bigquery.sync.table: the compact touchpoint table keeps the contract's mapped columns only"},
		{"breakdown not a dimension", `source: {files: {paths: [a.csv]}}
funnel: {breakdowns: [country]}`, `funnel.breakdowns[0]: "country" is not a breakdown (first_touchpoint | segment | entry_week, or a dimension`},
	} {
		_, err := Parse(strings.NewReader(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v\nwant %q", c.name, err, c.want)
		}
	}
}

func TestSourceShapeAccepted(t *testing.T) {
	c, err := Parse(strings.NewReader(`
source:
  files: {paths: [retail.csv.gz]}
  columns: {customer_id: CustomerID, event_time: InvoiceDate, order_id: InvoiceNo, dimensions: {country: Country, channel: Channel}}
  derive: {revenue: "float(Quantity) * float(UnitPrice)", event_name: "'purchase'", channel: "lower(Channel)"}
  where: "CustomerID != nil && !(InvoiceNo startsWith 'C')"
funnel: {breakdowns: [country, first_touchpoint]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Source.Columns.Dimensions.Names(), ","); got != "country,channel" {
		t.Errorf("dimensions in order: %s", got)
	}
	p, err := c.Programs()
	if err != nil || len(p.Derive) != 3 || p.Where == nil {
		t.Fatalf("programs %v %v", p, err)
	}
	// The run reads the mapped columns, the dimensions' and the expressions' — not the derived
	// contract columns' own names.
	got := strings.Join(c.SourceColumns(), ",")
	want := "CustomerID,InvoiceDate,stage,touchpoint,campaign,segment,InvoiceNo,sentiment,line_id,Country,Channel,Quantity,UnitPrice"
	if got != want {
		t.Errorf("columns read\n got %s\nwant %s", got, want)
	}
	y, err := c.Marshal()
	if err != nil || !strings.Contains(string(y), "dimensions:\n            country: Country\n            channel: Channel") {
		t.Errorf("marshal keeps the dimensions' order:\n%s", y)
	}
}
