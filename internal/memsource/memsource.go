package memsource

import (
	"context"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Source is an in-memory source of text columns, as a CSV file gives them. A cell "<null>" is
// null. It emits the rows in batches of batch rows.
type Source struct {
	header []string
	rows   [][]string
	batch  int
}

// CSV parses a tiny comma-separated table (no quoting) with a header line into a Source that
// emits batch rows at a time (all at once when batch <= 0).
func CSV(text string, batch int) *Source {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	s := &Source{header: strings.Split(strings.TrimSpace(lines[0]), ","), batch: batch}
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l != "" {
			s.rows = append(s.rows, strings.Split(l, ","))
		}
	}
	return s
}

// Describe says it is in memory.
func (s *Source) Describe() string { return "memory" }

// Read emits every row, whatever the range, batch by batch, from the calling goroutine.
func (s *Source) Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	fields := make([]arrow.Field, len(s.header))
	for i, h := range s.header {
		fields[i] = arrow.Field{Name: h, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	batch := s.batch
	if batch <= 0 {
		batch = len(s.rows) + 1
	}
	for lo := 0; lo < len(s.rows); lo += batch {
		hi := min(lo+batch, len(s.rows))
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for _, r := range s.rows[lo:hi] {
			for c := range s.header {
				fb := b.Field(c).(*array.StringBuilder)
				if c >= len(r) || r[c] == "<null>" {
					fb.AppendNull()
				} else {
					fb.Append(r[c])
				}
			}
		}
		rec := b.NewRecord()
		b.Release()
		err := emit(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	return nil
}
