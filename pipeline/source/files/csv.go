package files

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
)

// readCSV streams a CSV file with a header row as batches of utf8 columns. Empty fields are
// nulls. A row with the wrong number of fields, or that the CSV reader cannot parse, comes out
// with MalformedColumn true and nulls elsewhere, and the read goes on.
func (s *Source) readCSV(ctx context.Context, f file, emit func(arrow.Record) error) error {
	r, closeFn, err := openText(f)
	if err != nil {
		return err
	}
	defer closeFn()
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = true

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil // an empty file has no rows
	}
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	// The output columns and the field each comes from: every named column, in header order.
	var names []string
	var from []int
	pos := make(map[string]int, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		h = strings.TrimSpace(h)
		if h == "" {
			// An unnamed column, such as the trailing commas of a spreadsheet export: nothing
			// can refer to it, so it is not read.
			continue
		}
		if _, dup := pos[h]; dup {
			return fmt.Errorf("header: column %q appears twice", h)
		}
		pos[h] = i
		names, from = append(names, h), append(from, i)
	}
	if len(s.opts.Columns) > 0 {
		// Project: the requested columns the file has, in the requested order.
		names, from = names[:0], from[:0]
		for _, c := range s.opts.Columns {
			if i, ok := pos[c]; ok {
				names, from = append(names, c), append(from, i)
			}
		}
	}
	var all []string
	for _, h := range header {
		if h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")); h != "" {
			all = append(all, h)
		}
	}
	b := newTextBatch(names, all, s.opts.Allocator)
	defer b.release()
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var perr *csv.ParseError
		switch {
		case err == nil && len(rec) == len(header):
			for j, i := range from {
				if v := rec[i]; v == "" {
					b.cols[j].AppendNull()
				} else {
					b.cols[j].Append(v)
				}
			}
			b.malformed.Append(false)
			b.rows++
		case err == nil, errors.As(err, &perr):
			b.appendMalformed()
		default:
			return err
		}
		if b.rows >= s.opts.BatchRows {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := send(b.record(), emit); err != nil {
				return err
			}
		}
	}
	if b.rows > 0 {
		return send(b.record(), emit)
	}
	return nil
}
