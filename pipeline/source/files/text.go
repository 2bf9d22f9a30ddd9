package files

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/journeykpi/journeykpi/pipeline/source/files/textformat"
)

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
		switch {
		case errors.Is(err, gzip.ErrHeader):
			return nil, nil, fmt.Errorf("not gzip-compressed, though named .gz: it looks like %s", textformat.LooksLike(head(f)))
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, nil, errors.New("empty or cut short: named .gz, but it ends before a whole gzip header")
		}
		// Not the content's fault: the file could not be read.
		return nil, nil, fmt.Errorf("read the gzip header: %w", err)
	}
	return bufio.NewReaderSize(zr, 256<<10), func() error {
		zr.Close()
		return h.Close()
	}, nil
}

// head reads the first 512 bytes of f, as stored (not decompressed).
func head(f file) []byte {
	h, err := f.fsys.Open(f.name)
	if err != nil {
		return nil
	}
	defer h.Close()
	b := make([]byte, 512)
	n, _ := io.ReadFull(h, b)
	return b[:n]
}

// readCSV streams the CSV file f (see textformat.ReadCSV).
func (s *Source) readCSV(ctx context.Context, f file, emit func(arrow.Record) error) error {
	r, closeFn, err := openText(f)
	if err != nil {
		return err
	}
	defer closeFn()
	return textformat.ReadCSV(ctx, bufio.NewReaderSize(r, 256<<10), s.csv, s.textOptions(), marked(emit))
}

// readNDJSON streams the NDJSON file f (see textformat.ReadNDJSON).
func (s *Source) readNDJSON(ctx context.Context, f file, emit func(arrow.Record) error) error {
	r, closeFn, err := openText(f)
	if err != nil {
		return err
	}
	defer closeFn()
	return textformat.ReadNDJSON(ctx, r, s.textOptions(), marked(emit))
}

func (s *Source) textOptions() textformat.Options {
	return textformat.Options{Columns: s.opts.Columns, BatchRows: s.opts.BatchRows, Allocator: s.opts.Allocator}
}

// marked marks the errors of emit, which Read passes on unwrapped.
func marked(emit func(arrow.Record) error) func(arrow.Record) error {
	return func(rec arrow.Record) error {
		if err := emit(rec); err != nil {
			return emitError{err}
		}
		return nil
	}
}
