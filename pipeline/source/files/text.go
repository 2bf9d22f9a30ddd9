package files

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// textBatch builds record batches of utf8 columns plus MalformedColumn, for the text formats.
type textBatch struct {
	schema    *arrow.Schema
	cols      []*array.StringBuilder
	malformed *array.BooleanBuilder
	rows      int
}

// newTextBatch builds batches of the columns names. all lists every column of the file (the
// header), recorded in the schema's metadata under FileColumnsKey; nil when not known.
func newTextBatch(names, all []string, mem memory.Allocator) *textBatch {
	fields := make([]arrow.Field, 0, len(names)+1)
	b := &textBatch{cols: make([]*array.StringBuilder, len(names))}
	for i, n := range names {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true})
		b.cols[i] = array.NewStringBuilder(mem)
	}
	fields = append(fields, arrow.Field{Name: MalformedColumn, Type: arrow.FixedWidthTypes.Boolean})
	b.schema = arrow.NewSchema(fields, fileColumnsMeta(all))
	b.malformed = array.NewBooleanBuilder(mem)
	return b
}

// appendMalformed adds a row with nulls in every column and MalformedColumn true.
func (b *textBatch) appendMalformed() {
	for _, c := range b.cols {
		c.AppendNull()
	}
	b.malformed.Append(true)
	b.rows++
}

// record returns the rows added since the last call as a record and resets the builders.
func (b *textBatch) record() arrow.Record {
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

func (b *textBatch) release() {
	for _, c := range b.cols {
		c.Release()
	}
	b.malformed.Release()
}

// openText opens f for streaming, through gzip when its name ends in .gz.
func openText(f file) (io.Reader, func() error, error) {
	h, err := f.fsys.Open(f.name)
	if err != nil {
		return nil, nil, err
	}
	var r io.Reader = bufio.NewReaderSize(h, 256<<10)
	if !f.gzip {
		return r, h.Close, nil
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		h.Close()
		return nil, nil, fmt.Errorf("not gzip-compressed, though named .gz: it looks like %s", looksLike(head(f)))
	}
	return bufio.NewReaderSize(zr, 256<<10), func() error {
		zr.Close()
		return h.Close()
	}, nil
}

// fileColumnsMeta is schema metadata listing every column of a file, or nil.
func fileColumnsMeta(all []string) *arrow.Metadata {
	if all == nil {
		return nil
	}
	m := arrow.NewMetadata([]string{FileColumnsKey}, []string{strings.Join(all, "\x1f")})
	return &m
}
