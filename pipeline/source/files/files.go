package files

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/pipeline/source/files/textformat"
)

// MalformedColumn is the boolean column CSV and NDJSON records carry
// (textformat.MalformedColumn): true for a row that could not be split into the file's columns.
const MalformedColumn = textformat.MalformedColumn

// DefaultBatchRows is the number of rows per record batch when Options.BatchRows is 0.
const DefaultBatchRows = textformat.DefaultBatchRows

// Options tune a files source.
type Options struct {
	// FS, when set, is where paths and globs are resolved (slash-separated, relative to its
	// root), e.g. an embed.FS holding testdata/sample/. When nil, the OS file system: relative
	// paths against the working directory, absolute paths allowed.
	FS fs.FS
	// Columns are the source column names to read (a projection); empty means all. A column a
	// Parquet or CSV file lacks is left out of its records (the caller looks columns up by name);
	// an NDJSON file always has every requested column, null where a line lacks the key.
	Columns []string
	// Parallel is how many goroutines read at once, each a whole file or a share of a Parquet
	// file's row groups; 0 means 2.
	Parallel int
	// BatchRows is the rows per record batch; 0 means DefaultBatchRows.
	BatchRows int
	// Allocator allocates the records' memory; nil means Go's, except for the records of Parquet
	// files: a pool of the source's own that reuses the buffers of released records (emit must
	// not keep a value of a record, not even a string, once the record is released).
	Allocator memory.Allocator
}

// Source reads the files of a config.Files. It is safe for concurrent use.
type Source struct {
	cfg  config.Files
	opts Options
	csv  textformat.Format
	// records allocates the Parquet records (Options.Allocator).
	records memory.Allocator

	mu   sync.Mutex
	last readStats // of the latest Read
}

// readStats is what the latest Read did, for Describe and LastRead.
type readStats struct {
	done          bool
	files, pruned int
	bytes         int64
	listing       string
}

// span is the half-open time range [start, end) a read covers; a zero bound is open.
type span struct{ start, end time.Time }

// New returns a source reading cfg's paths and globs. It resolves them once to fail early: a
// pattern matching nothing, or a file whose format cannot be told, is an error naming it. Each
// Read resolves them again, so files added since are read.
func New(cfg config.Files, opts Options) (*Source, error) {
	if len(cfg.Paths) == 0 {
		return nil, errors.New("files: no paths")
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 2
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	var records memory.Allocator = newBufferPool(int64(opts.Parallel) * int64(opts.BatchRows) * poolBytesPerRow)
	if opts.Allocator == nil {
		opts.Allocator = memory.DefaultAllocator
	} else {
		records = opts.Allocator
	}
	opts.Columns = append([]string(nil), opts.Columns...)
	s := &Source{cfg: cfg, opts: opts, records: records, csv: textformat.NewFormat(cfg.CSV)}
	if _, _, err := s.match(span{}); err != nil {
		return nil, err
	}
	return s, nil
}

// task is one unit of reading: a whole CSV or NDJSON file, or a share of a Parquet file's row
// groups.
type task struct {
	f         file
	rowGroups []int     // Parquet only
	meta      *pqFooter // Parquet only
}

// Read streams every row of the files not pruned for [start, end) to emit, in no particular
// order. Rows are not filtered by time: only whole hive date= folders are skipped. emit is called
// from up to Options.Parallel goroutines at once; a record is released when emit returns (Retain
// it to keep it). The first error, from a file or from emit, stops the read and is returned (an
// error from emit as is); files without rows emit nothing.
func (s *Source) Read(parent context.Context, start, end time.Time, emit func(arrow.Record) error) error {
	read, skip, err := s.match(span{start, end})
	if err != nil {
		return err
	}
	listing, bytes, err := fileListing(parent, "read", read, skip, func(f file) (int64, string, error) { return f.size, "", nil })
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.last = readStats{done: true, files: len(read), pruned: len(skip), bytes: bytes, listing: listing}
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	tasks := make(chan task)
	var (
		once     sync.Once
		firstErr error
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	var wg sync.WaitGroup
	for range s.opts.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				if ctx.Err() != nil {
					continue
				}
				if err := s.readTask(ctx, t, emit); err != nil {
					fail(err)
				}
			}
		}()
	}
	// Plan the tasks here, one file at a time, so that the workers start on the first file while
	// later Parquet footers are read.
plan:
	for _, f := range read {
		if f.format != "parquet" {
			select {
			case tasks <- task{f: f}:
			case <-ctx.Done():
				break plan
			}
			continue
		}
		meta, err := readFooter(f, s.opts.Allocator, s.opts.Columns)
		if err != nil {
			fail(&Error{Err: fmt.Errorf("files: %s: %w", f.path, err)})
			break
		}
		for _, rgs := range splitRowGroups(meta.numRowGroups, s.opts.Parallel) {
			select {
			case tasks <- task{f: f, rowGroups: rgs, meta: meta}:
			case <-ctx.Done():
				break plan
			}
		}
	}
	close(tasks)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return parent.Err()
}

// splitRowGroups deals n row groups round-robin into at most k shares, so that each worker reads
// whole row groups spread over the file.
func splitRowGroups(n, k int) [][]int {
	if n == 0 {
		return nil
	}
	k = min(k, n)
	out := make([][]int, k)
	for rg := range n {
		out[rg%k] = append(out[rg%k], rg)
	}
	return out
}

// readTask reads one task. It runs on a goroutine of Read's, where a panic would end the process
// whoever's it is, so one — from a reader meeting data it cannot handle, or from emit — comes
// back as an error naming the file.
func (s *Source) readTask(ctx context.Context, t task, emit func(arrow.Record) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("files: %s: reading failed: %v", t.f.path, p)
		}
	}()
	switch t.f.format {
	case "parquet":
		err = s.readParquet(ctx, t, emit)
	case "csv":
		err = s.readCSV(ctx, t.f, emit)
	case "ndjson":
		err = s.readNDJSON(ctx, t.f, emit)
	}
	var e emitError
	if errors.As(err, &e) {
		return e.err // emit's own error, passed on as is
	}
	if err != nil {
		// A file that does not read says which and why, in one line: the user can act on it.
		return &Error{Err: fmt.Errorf("files: %s: %w", t.f.path, err)}
	}
	return nil
}

// Error is a files source that cannot be read as configured: a pattern matching no file, a file
// whose format cannot be told from its name, or one that does not read as its format (its
// content, its header). Its message says which file and why, in one line.
type Error struct {
	Err error
	// NoMatch says that a pattern matched no file: the config's paths, not a file, are wrong.
	NoMatch bool
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Kind makes it one plain line (exit 1): the user acts on the file or on the config.
func (e *Error) Kind() fault.Kind { return fault.Failed }

// emitError marks an error returned by emit, which Read passes on unwrapped.
type emitError struct{ err error }

func (e emitError) Error() string { return e.err.Error() }
func (e emitError) Unwrap() error { return e.err }

// send passes rec to emit and releases it.
func send(rec arrow.Record, emit func(arrow.Record) error) error {
	defer rec.Release()
	if err := emit(rec); err != nil {
		return emitError{err}
	}
	return nil
}

// Describe returns the patterns, the files they match and their size, and what the latest Read
// pruned.
func (s *Source) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "files %s", strings.Join(s.cfg.Paths, ", "))
	if f := s.cfg.Format; f != "" && f != "auto" {
		fmt.Fprintf(&b, " (%s)", f)
	}
	s.mu.Lock()
	last := s.last
	s.mu.Unlock()
	if last.done {
		fmt.Fprintf(&b, ": read %s, %s", count(last.files, "file"), humanBytes(last.bytes))
		if last.pruned > 0 {
			fmt.Fprintf(&b, ", %s pruned by date= folder", count(last.pruned, "file"))
		}
		return b.String()
	}
	read, _, err := s.match(span{})
	if err != nil {
		fmt.Fprintf(&b, ": %v", err)
		return b.String()
	}
	var n int64
	for _, f := range read {
		n += f.size
	}
	fmt.Fprintf(&b, ": %s, %s", count(len(read), "file"), humanBytes(n))
	return b.String()
}

// Plan lists the files Read would open for [start, end), one a line with format and the bytes it
// would read, then the files pruned by their date= folder. bytes is the total: a file's size, or
// for a Parquet file read with a projection, the compressed size of the projected column chunks
// (from its footer).
func (s *Source) Plan(ctx context.Context, start, end time.Time) (text string, bytes int64, err error) {
	read, skip, err := s.match(span{start, end})
	if err != nil {
		return "", 0, err
	}
	return fileListing(ctx, "to read", read, skip, func(f file) (int64, string, error) {
		if f.format != "parquet" || len(s.opts.Columns) == 0 {
			return f.size, "", nil
		}
		ft, err := readFooter(f, s.opts.Allocator, s.opts.Columns)
		if err != nil {
			return 0, "", fmt.Errorf("files: %s: %w", f.path, err)
		}
		note := fmt.Sprintf(" (%d of %d columns, file %d bytes)", len(ft.leaves), ft.meta.Schema.NumColumns(), f.size)
		return ft.projectedBytes(), note, nil
	})
}

// LastRead lists the files the latest Read opened, with their sizes, and those it pruned by
// their date= folder; "" before any Read. It opens nothing.
func (s *Source) LastRead() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last.listing
}

// fileListing writes one line per file to read (path, format, the bytes size says it reads),
// the total ("N files <verb>, size"), then the files pruned by their date= folder. It returns the
// text and the total.
func fileListing(ctx context.Context, verb string, read, skip []file, size func(file) (int64, string, error)) (string, int64, error) {
	var b strings.Builder
	var n int64
	for _, f := range read {
		if err := ctx.Err(); err != nil {
			return "", 0, err
		}
		bytes, note, err := size(f)
		if err != nil {
			return "", 0, err
		}
		n += bytes
		fmt.Fprintf(&b, "%s\t%s\t%d bytes%s\n", f.path, f.format, bytes, note)
	}
	fmt.Fprintf(&b, "%s %s, %s", count(len(read), "file"), verb, humanBytes(n))
	if len(skip) > 0 {
		fmt.Fprintf(&b, "; %s pruned by date= folder:", count(len(skip), "file"))
		for _, f := range skip {
			fmt.Fprintf(&b, "\n%s\tpruned (%s)", f.path, f.partition.Format("2006-01-02"))
		}
	}
	return b.String(), n, nil
}

// count is "1 file", "2 files".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// humanBytes formats n in binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// errSchemaFound stops the read Schema does once it has seen a record.
var errSchemaFound = errors.New("schema found")

// Schema returns the columns Read produces, from the first file that tells them: a Parquet
// footer, or the first batch of a CSV or NDJSON file (files without rows are skipped). Files are
// not compared with each other.
func (s *Source) Schema(ctx context.Context) (*arrow.Schema, error) {
	read, _, err := s.match(span{})
	if err != nil {
		return nil, err
	}
	for _, f := range read {
		if f.format == "parquet" {
			sc, err := s.parquetSchema(f)
			if err != nil {
				// As Read says it: the file's to fix (exit 1), not an internal error.
				return nil, &Error{Err: fmt.Errorf("files: %s: %w", f.path, err)}
			}
			return sc, nil
		}
		var sc *arrow.Schema
		err := s.readTask(ctx, task{f: f}, func(rec arrow.Record) error {
			sc = rec.Schema()
			return errSchemaFound
		})
		if sc != nil {
			return sc, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, errors.New("files: no file has rows to tell the columns from")
}
