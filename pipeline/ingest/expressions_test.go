package ingest

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/internal/memsource"
	"github.com/journeykpi/journeykpi/pipeline/derive"
)

// retailConfig maps a line-item table the way testdata/real/online-retail.yaml does.
func retailConfig(t *testing.T, where string) config.Config {
	t.Helper()
	c := config.Default()
	c.Source.Files.Paths = []string{"retail.csv"}
	c.Source.Columns.CustomerID = "CustomerID"
	c.Source.Columns.EventTime = "InvoiceDate"
	c.Source.Columns.OrderID = "InvoiceNo"
	c.Source.Derive = map[string]string{
		"revenue":    "float(Quantity) * float(UnitPrice)",
		"event_name": "'purchase'",
	}
	c.Source.Where = where
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDeriveAndWhere(t *testing.T) {
	src := memsource.CSV(`
InvoiceNo,Quantity,InvoiceDate,UnitPrice,CustomerID
536365,6,2010-12-01 08:26:00,2.55,17850.0
536365,8,2010-12-01 08:26:00,2.75,17850.0
C536379,-1,2010-12-01 09:41:00,27.50,14527.0
536414,56,2010-12-01 11:52:00,0.00,<null>
536415,x,2010-12-01 11:53:00,1.00,17851.0
`, 2)
	rows, n := mapAll(t, retailConfig(t, "CustomerID != nil && !(InvoiceNo startsWith 'C')"), src)
	q, _ := n.Quality(1)
	if q.RowsRead != 5 || q.RowsFiltered != 2 || q.RejectedByReason[RejectDeriveFailed] != 1 || len(rows) != 2 {
		t.Fatalf("read %d filtered %d rejected %v kept %d; want 5, 2, derive_failed 1, 2", q.RowsRead, q.RowsFiltered, q.RejectedByReason, len(rows))
	}
	if got := rows[0].Ev.Revenue + rows[1].Ev.Revenue; math.Abs(got-(6*2.55+8*2.75)) > 1e-9 {
		t.Errorf("revenue %v", got)
	}
	d := n.Dicts()
	if name := d.EventName.Name(rows[0].Ev.Name); name != "purchase" {
		t.Errorf("event_name %q", name)
	}
	if errs := n.ExpressionErrors(); len(errs) != 1 || !strings.Contains(errs[0], "source.derive.revenue") {
		t.Errorf("expression errors %v", errs)
	}
}

func TestWhereWithNullInputFiltersTheRow(t *testing.T) {
	src := memsource.CSV(`
InvoiceNo,Quantity,InvoiceDate,UnitPrice,CustomerID
C1,1,2010-12-01 08:26:00,1,1
<null>,1,2010-12-01 08:26:00,1,1
2,1,2010-12-01 08:26:00,1,1
`, 0)
	rows, n := mapAll(t, retailConfig(t, "!(InvoiceNo startsWith 'C')"), src)
	q, _ := n.Quality(1)
	if q.RowsFiltered != 2 || len(rows) != 1 || q.RowsRejected != 0 {
		t.Errorf("filtered %d kept %d rejected %d; want 2, 1, 0", q.RowsFiltered, len(rows), q.RowsRejected)
	}
}

func TestDeriveOverTypedAndDictionaryColumns(t *testing.T) {
	c := config.Default()
	c.Source.Files.Paths = []string{"events.parquet"}
	c.Source.Derive = map[string]string{"revenue": "qty * price", "campaign": "touchpoint + '/' + medium"}
	c.Source.Where = "medium != 'test'"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	mem := memory.DefaultAllocator
	dictOf := func(idx []int32, vals ...string) arrow.Array {
		ib := array.NewInt32Builder(mem)
		ib.AppendValues(idx, nil)
		ind := ib.NewArray()
		sb := array.NewStringBuilder(mem)
		sb.AppendValues(vals, nil)
		dict := sb.NewArray()
		return array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, ind, dict)
	}
	str := func(vals ...string) arrow.Array {
		b := array.NewStringBuilder(mem)
		b.AppendValues(vals, nil)
		return b.NewArray()
	}
	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{2, 3, 4}, []bool{true, true, false})
	fb := array.NewFloat64Builder(mem)
	fb.AppendValues([]float64{1.5, 2, 3}, nil)
	cols := []arrow.Array{
		str("a", "b", "c"), str("2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z", "2026-03-01T12:00:00Z"),
		str("purchase", "purchase", "purchase"), dictOf([]int32{0, 1, 0}, "social", "email"),
		dictOf([]int32{0, 0, 1}, "cpc", "test"), ib.NewArray(), fb.NewArray(),
	}
	names := []string{"customer_id", "event_time", "event_name", "touchpoint", "medium", "qty", "price"}
	fields := make([]arrow.Field, len(names))
	for i, nme := range names {
		fields[i] = arrow.Field{Name: nme, Type: cols[i].DataType(), Nullable: true}
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), cols, 3)
	defer rec.Release()
	var rows []Row
	n := NewMapper(&c, wideRange(), func(r []Row) error { rows = append(rows, r...); return nil })
	if err := n.Add(rec); err != nil {
		t.Fatal(err)
	}
	q, _ := n.Quality(1)
	if len(rows) != 2 || q.RowsFiltered != 1 {
		t.Fatalf("kept %d filtered %d", len(rows), q.RowsFiltered)
	}
	if rows[0].Ev.Revenue != 3 || rows[1].Ev.Revenue != 6 {
		t.Errorf("revenue %v %v", rows[0].Ev.Revenue, rows[1].Ev.Revenue)
	}
	if got := n.Dicts().Campaign.Name(rows[1].Ev.Campaign); got != "email/cpc" {
		t.Errorf("campaign %q", got)
	}
}

func TestExpressionNotFittingTheSourceIsAConfigError(t *testing.T) {
	c := config.Default()
	c.Source.Files.Paths = []string{"events.parquet"}
	c.Source.Derive = map[string]string{"revenue": "Quantity * Price"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	src := memsource.CSV(`
customer_id,event_time,event_name,Quantity
c1,2026-03-01T10:00:00Z,purchase,1
`, 0)
	_, _, err := mapAllErr(c, src)
	var ee *derive.Error
	if !errors.As(err, &ee) || fault.KindOf(err) != fault.Config || !strings.Contains(err.Error(), `source.derive.revenue: "Quantity * Price": the source has no column "Price"`) {
		t.Errorf("error %v", err)
	}
}

func TestMissingColumnSaysHowTheFileLooksSeparated(t *testing.T) {
	for found, want := range map[string]string{
		"customer_id  date number_of_cds  dollar_value": "delimiter: whitespace",
		"customer_id;event_time;event_name":             `delimiter: ";"`,
		"customer_id\tevent_time":                       `delimiter: "\t"`,
		"customer id":                                   "delimiter: whitespace",
	} {
		err := &MissingColumnError{Canonical: "customer_id", Source: "customer_id", Found: []string{found}}
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "its columns are") {
			t.Errorf("%q: %v", found, err)
		}
	}
	err := &MissingColumnError{Canonical: "customer_id", Source: "CustID", Found: []string{"CustomerID", "InvoiceDate"}}
	if got := err.Error(); got != `the source has no column "CustID" (source.columns.customer_id); its columns are "CustomerID", "InvoiceDate"` {
		t.Errorf("got %s", got)
	}
}

// A config built in code whose where or time format does not compile fails the read: its rows
// are not mapped as if it had none.
func TestUncompiledWhereFailsRead(t *testing.T) {
	c := config.Default()
	c.Source.Files.Paths = []string{"events.csv"}
	c.Source.Where = "customer_id =="
	if _, err := c.Programs(); err == nil {
		t.Fatal("the where compiles; the test needs one that does not")
	}
	src := memsource.CSV(`
customer_id,event_time,event_name
c1,2026-03-01T10:00:00Z,purchase
`, 1)
	rows, _, err := mapAllErr(c, src)
	if err == nil || !strings.Contains(err.Error(), "source.where") || len(rows) != 0 {
		t.Fatalf("err %v, %d rows mapped; want the where's error and none", err, len(rows))
	}
}

func TestUncompiledTimeFormatFailsRead(t *testing.T) {
	c := config.Default()
	c.Source.Files.Paths = []string{"events.csv"}
	c.Source.TimeFormat = "%d/%m/%Q"
	src := memsource.CSV(`
customer_id,event_time,event_name
c1,01/03/2026,purchase
`, 1)
	rows, _, err := mapAllErr(c, src)
	if err == nil || !strings.Contains(err.Error(), "source.time_format") || len(rows) != 0 {
		t.Fatalf("err %v, %d rows mapped; want the time format's error and none", err, len(rows))
	}
}
