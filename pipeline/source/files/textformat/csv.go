package textformat

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/journeykpi/journeykpi/config"
)

// A quoted field may run over several lines, but not past these bounds: an unterminated quote
// then makes its own line malformed and the read goes on at the next line, instead of swallowing
// the rest of the file.
const (
	maxRecordLines = 1000
	maxRecordBytes = 1 << 20
)

// Format is how a CSV file is written (config source.files.csv).
type Format struct {
	delim      byte // the field separator, when not whitespace
	whitespace bool // fields separated by runs of spaces and tabs, no quoting
	comment    []byte
	names      []string // the columns of a file without header row; nil: the first line names them
}

// NewFormat returns the format config c describes.
func NewFormat(c config.CSV) Format {
	f := Format{delim: ',', comment: []byte(c.Comment), names: c.Columns}
	switch c.Delimiter {
	case "", ",":
	case "whitespace":
		f.whitespace = true
	case `\t`, "tab":
		f.delim = '\t'
	default:
		f.delim = c.Delimiter[0]
	}
	return f
}

// ReadCSV streams a CSV file written in format f from r as batches of utf8 columns, passing each
// to emit (which may not keep it: it is released when emit returns) and returning emit's error as
// it is. Empty fields are nulls. A record with the wrong number of fields, or whose quoting is
// broken, comes out with MalformedColumn true and nulls elsewhere, and the read goes on at the
// next line. A file that is not text (Parquet, gzip, a ZIP archive, binary data) is an error
// saying what it looks like; text that is not UTF-8 (Latin-1, Windows-1252) is read, its bytes
// as they are.
func ReadCSV(ctx context.Context, br *bufio.Reader, f Format, o Options, emit func(arrow.Record) error) error {
	o = o.withDefaults()
	if b, _ := br.Peek(512); len(b) > 0 {
		if what := LooksLike(b); what == "Parquet" || what == "gzip-compressed data" || strings.HasPrefix(what, "a ZIP") || what == "binary data" {
			return NotFormatError("CSV", b)
		}
	}
	cr := newCSVReader(br, f)

	header := f.names
	if header == nil {
		rec, err := cr.next()
		if errors.Is(err, io.EOF) {
			return nil // an empty file has no rows
		}
		if err != nil {
			return fmt.Errorf("header: %w", err)
		}
		if rec == nil {
			return fmt.Errorf("header (line %d): the quoting of the header row is broken", cr.recordLine)
		}
		header = rec
	}
	// The output columns and the field each comes from: every named column, in header order.
	var names, all []string
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
		names, from, all = append(names, h), append(from, i), append(all, h)
	}
	if len(o.Columns) > 0 {
		// Project: the requested columns the file has, in the requested order.
		names, from = names[:0], from[:0]
		for _, c := range o.Columns {
			if i, ok := pos[c]; ok {
				names, from = append(names, c), append(from, i)
			}
		}
	}
	b := newBatch(names, all, o.Allocator)
	defer b.release()
	for {
		rec, err := cr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if rec != nil && len(rec) == len(header) {
			for j, i := range from {
				if v := rec[i]; v == "" {
					b.cols[j].AppendNull()
				} else {
					b.cols[j].Append(v)
				}
			}
			b.malformed.Append(false)
			b.rows++
		} else {
			b.appendMalformed()
		}
		if b.rows >= o.BatchRows {
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

// csvReader splits a CSV file into records. It reads physical lines, joins lines only while a
// quoted field is open, and when such a field does not close into a well-formed record within
// maxRecordLines lines or maxRecordBytes, gives up on the first line alone and reads on from the
// second.
type csvReader struct {
	r    *bufio.Reader
	f    Format
	line int // physical lines read so far
	// recordLine is the line the latest record started on.
	recordLine int
	// pushed are lines read ahead for a record that did not close, to be read again.
	pushed [][]byte
	buf    []byte   // the current record's lines, joined by '\n'
	fields []string // the current record's fields
	field  []byte   // scratch for one quoted field
	eof    bool
}

func newCSVReader(r *bufio.Reader, f Format) *csvReader { return &csvReader{r: r, f: f} }

// readLine returns the next physical line without its line ending, from the pushed-back lines
// first. The slice is valid until the next call. It returns io.EOF at the end.
func (c *csvReader) readLine() ([]byte, error) {
	if n := len(c.pushed); n > 0 {
		l := c.pushed[n-1]
		c.pushed = c.pushed[:n-1]
		c.line++
		return l, nil
	}
	if c.eof {
		return nil, io.EOF
	}
	l, err := c.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		long := append([]byte(nil), l...)
		for errors.Is(err, bufio.ErrBufferFull) {
			l, err = c.r.ReadSlice('\n')
			long = append(long, l...)
		}
		l = long
	}
	if errors.Is(err, io.EOF) {
		c.eof = true
		if len(l) == 0 {
			return nil, io.EOF
		}
	} else if err != nil {
		return nil, err
	}
	c.line++
	l = bytes.TrimSuffix(l, []byte("\n"))
	return bytes.TrimSuffix(l, []byte("\r")), nil
}

// next returns the next record's fields, valid until the next call, or nil for a line that is
// not a well-formed record (broken quoting). Blank and comment lines are skipped. It returns
// io.EOF at the end.
func (c *csvReader) next() ([]string, error) {
	for {
		l, err := c.readLine()
		if err != nil {
			return nil, err
		}
		c.recordLine = c.line
		if len(bytes.TrimSpace(l)) == 0 || (len(c.f.comment) > 0 && bytes.HasPrefix(l, c.f.comment)) {
			continue
		}
		if c.f.whitespace {
			c.fields = c.fields[:0]
			for _, f := range bytes.Fields(l) {
				c.fields = append(c.fields, string(f))
			}
			return c.fields, nil
		}
		c.buf = append(c.buf[:0], l...)
		// The lines read past the first while a quoted field is open; copied only then, since
		// most records are one line.
		var more [][]byte
		for {
			open, ok := c.split(c.buf)
			if ok && !open {
				return c.fields, nil
			}
			if !ok || 1+len(more) >= maxRecordLines || len(c.buf) >= maxRecordBytes {
				return c.giveUp(more), nil
			}
			next, err := c.readLine()
			if errors.Is(err, io.EOF) {
				return c.giveUp(more), nil
			}
			if err != nil {
				return nil, err
			}
			more = append(more, append([]byte(nil), next...))
			c.buf = append(append(c.buf, '\n'), next...)
		}
	}
}

// giveUp makes the record's first line a malformed record and pushes more, the lines read after
// it, back to be read again.
func (c *csvReader) giveUp(more [][]byte) []string {
	for i := len(more) - 1; i >= 0; i-- {
		c.pushed = append(c.pushed, more[i])
		c.line--
	}
	return nil
}

// split splits rec into c.fields (RFC 4180: a field starting with a quote runs to the closing
// quote, "" standing for one quote; a quote inside an unquoted field is text). open reports a
// quoted field still open at the end; !ok a record that cannot be read (text after a closing
// quote).
func (c *csvReader) split(rec []byte) (open, ok bool) {
	c.fields = c.fields[:0]
	d := c.f.delim
	i := 0
	for {
		if i < len(rec) && rec[i] == '"' {
			c.field = c.field[:0]
			i++
			for {
				j := bytes.IndexByte(rec[i:], '"')
				if j < 0 {
					return true, true
				}
				c.field = append(c.field, rec[i:i+j]...)
				i += j + 1
				if i < len(rec) && rec[i] == '"' {
					c.field = append(c.field, '"')
					i++
					continue
				}
				break
			}
			c.fields = append(c.fields, string(c.field))
			switch {
			case i == len(rec):
				return false, true
			case rec[i] == d:
				i++
				continue
			}
			return false, false
		}
		j := bytes.IndexByte(rec[i:], d)
		if j < 0 {
			c.fields = append(c.fields, string(rec[i:]))
			return false, true
		}
		c.fields = append(c.fields, string(rec[i:i+j]))
		i += j + 1
	}
}
