package textformat

import (
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// batch builds record batches of utf8 columns plus MalformedColumn, for the text formats.
type batch struct {
	schema    *arrow.Schema
	cols      []*array.StringBuilder
	malformed *array.BooleanBuilder
	rows      int
}

// newBatch builds batches of the columns names. all lists every column of the file (the
// header), recorded in the schema's metadata under FileColumnsKey; nil when not known.
func newBatch(names, all []string, mem memory.Allocator) *batch {
	fields := make([]arrow.Field, 0, len(names)+1)
	b := &batch{cols: make([]*array.StringBuilder, len(names))}
	for i, n := range names {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true})
		b.cols[i] = array.NewStringBuilder(mem)
	}
	fields = append(fields, arrow.Field{Name: MalformedColumn, Type: arrow.FixedWidthTypes.Boolean})
	b.schema = arrow.NewSchema(fields, FileColumns(all))
	b.malformed = array.NewBooleanBuilder(mem)
	return b
}

// appendMalformed adds a row with nulls in every column and MalformedColumn true.
func (b *batch) appendMalformed() {
	for _, c := range b.cols {
		c.AppendNull()
	}
	b.malformed.Append(true)
	b.rows++
}

// record returns the rows added since the last call as a record and resets the builders.
func (b *batch) record() arrow.Record {
	arrs := make([]arrow.Array, 0, len(b.cols)+1)
	for _, c := range b.cols {
		arrs = append(arrs, c.NewArray())
	}
	arrs = append(arrs, b.malformed.NewArray())
	rec := array.NewRecord(b.schema, arrs, int64(b.rows))
	for _, a := range arrs {
		a.Release()
	}
	b.rows = 0
	return rec
}

func (b *batch) release() {
	for _, c := range b.cols {
		c.Release()
	}
	b.malformed.Release()
}

// FileColumns is schema metadata listing every column of a file under FileColumnsKey, or nil.
func FileColumns(all []string) *arrow.Metadata {
	if all == nil {
		return nil
	}
	m := arrow.NewMetadata([]string{FileColumnsKey}, []string{strings.Join(all, "\x1f")})
	return &m
}

// ListedColumns returns the columns the metadata of a schema lists under FileColumnsKey
// (FileColumns), and whether it lists them.
func ListedColumns(md arrow.Metadata) ([]string, bool) {
	i := md.FindKey(FileColumnsKey)
	if i < 0 {
		return nil, false
	}
	return strings.Split(md.Values()[i], "\x1f"), true
}

// MalformedColumn is the boolean column CSV and NDJSON records carry: true for a row that could
// not be split into the file's columns (a CSV row with the wrong number of fields or broken
// quoting, an NDJSON line that is not a JSON object). Such a row has nulls in every other column;
// the caller rejects it with reason malformed_row before looking at any other column.
const MalformedColumn = "__malformed"

// FileColumnsKey is the schema metadata key under which records list every column of their file,
// separated by the unit separator (0x1F), when a projection leaves some out: a message about a
// missing column can then say which columns there are.
const FileColumnsKey = "journeykpi.file_columns"

// DefaultBatchRows is the number of rows per record batch when Options.BatchRows is 0.
const DefaultBatchRows = 64 * 1024

// Options tune a read.
type Options struct {
	// Columns are the columns to read (a projection); empty means all. A CSV file lacking one
	// leaves it out of its records; an NDJSON file always has every requested column, null where
	// a line lacks the key.
	Columns []string
	// BatchRows is the rows per record batch; 0 means DefaultBatchRows.
	BatchRows int
	// Allocator allocates the records' memory; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
}

func (o Options) withDefaults() Options {
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	return o
}

// send passes rec to emit and releases it.
func send(rec arrow.Record, emit func(arrow.Record) error) error {
	defer rec.Release()
	return emit(rec)
}
