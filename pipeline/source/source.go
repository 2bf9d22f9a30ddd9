package source

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
)

// Source reads touchpoint events, or spend rows, as Arrow record batches. Column names are the
// source's own; pipeline/ingest maps them onto the data contract (config source.columns).
//
// The source packages (files, bigquery) satisfy it without importing this package, so its
// methods use only standard and Arrow types.
type Source interface {
	// Read streams every row that may fall in [start, end) to emit, batch by batch, in no
	// particular order. It may pass rows outside the range (the caller filters them), never fewer
	// than those in it. emit may be called from several goroutines at once; a record is valid
	// only during the call (Retain it to keep it). Read stops at the first error, from the read
	// or from emit, and returns it; an empty source returns nil without calling emit.
	Read(ctx context.Context, start, end time.Time, emit func(arrow.Record) error) error
}

// Describer is a Source that can say what it reads, for logs and the workbook's About sheet.
type Describer interface {
	// Describe returns a one-line description (files matched, table or query).
	Describe() string
}

// ReadReporter is a Source that can say what its latest Read did — the files it opened, or the
// statement it ran with its parameters — from what that Read already knew, without touching the
// files or the service again. The workbook's About sheet shows it.
type ReadReporter interface {
	// LastRead describes the latest Read that got as far as reading; "" before any.
	LastRead() string
}

// Planner is a Source that can estimate a read without doing it (journeykpi plan).
type Planner interface {
	// Plan returns what Read would do for [start, end): the query with its parameters, or the
	// list of files, and the bytes it would scan (-1 when unknown).
	Plan(ctx context.Context, start, end time.Time) (text string, bytes int64, err error)
}

// Checker is a Source that can tell, without reading rows or running a billed query, that the
// columns the config names are there (BigQuery: the table's metadata, or a free dry run of the
// query). The pipeline checks the spend input so before the events query runs.
type Checker interface {
	// Check returns nil when a Read of [start, end) could run, else an error whose kind is
	// fault.Config naming the key to fix, or the error that stopped the check.
	Check(ctx context.Context, start, end time.Time) error
}

// Narrowing is what a report's read may leave out at the source. The pipeline leaves the same
// rows out itself, so a source narrows its read as far as it can and passes the rest.
type Narrowing struct {
	// FullFrom, when not zero, is where events of every kind are needed: before it only
	// purchase-stage events are (source.history: orders).
	FullFrom time.Time
	// Shard, when not nil, is the customers needed (run --shard): those of these partitions.
	Shard *Parts
}

// Parts are the customer partitions First..Last (inclusive) of the engine's 256 (pipeline/group:
// a customer's partition is the top byte of its key times group.Mix).
type Parts struct{ First, Last int }

// Narrower is a Source that can leave rows out at the source (a query's WHERE clause), so that
// they are neither scanned nor transferred.
type Narrower interface {
	// Narrow returns a Source reading like this one, less what n lets it leave out, and what it
	// leaves out (part of n, possibly nothing). It shares this source's resources: close this
	// one, not the narrowed one, once both are done.
	Narrow(n Narrowing) (Source, Narrowing)
}

// LatestEventer is a Source that can tell the latest event time of a range without reading it.
// A shard whose source reads only its customers judges "in progress" by it, as an unsharded read
// would by the latest event it read.
type LatestEventer interface {
	// LatestEvent returns the latest event time in [start, end) of every customer (before the
	// source was narrowed to a shard); ok is false when there is none.
	LatestEvent(ctx context.Context, start, end time.Time) (t time.Time, ok bool, err error)
}

// LeftOutReporter is a Source whose latest Read left rows out by design, which the report counts
// apart from rejected rows: the GA4 preset's rows without a client id (consent mode).
type LeftOutReporter interface {
	// LeftOut counts them by reason; nil when none.
	LeftOut() map[string]int64
}

// Freshener is a Source that can tell whether its data reach a day, before a scheduled report of
// a period ending that day (source.bigquery.freshness).
type Freshener interface {
	// Fresh reports whether the source has data on the day starting at last; detail says what
	// it found, in a few words.
	Fresh(ctx context.Context, last time.Time) (ok bool, detail string, err error)
}

// Fingerprinter is a Source that can tell whether its input changed without reading it, so that
// a period already computed from the same input is not computed again (the run ledger).
type Fingerprinter interface {
	// Fingerprint returns a short text that stays the same while the rows a Read of [start, end)
	// would return stay the same, and changes when the source can tell cheaply that they may
	// have changed: for files their paths, sizes and modification times (contents for small
	// files), for BigQuery the last-modified times of the tables the read references. "" means
	// the source cannot tell; the caller then treats the input as changed. Safe for concurrent
	// use with Read.
	Fingerprint(ctx context.Context, start, end time.Time) (string, error)
}

// Closer is a Source holding resources (clients, connections) to release after use.
type Closer interface {
	// Close releases them once every Read has returned; the source is not used afterwards.
	Close() error
}

// Schemer is a Source that can report its columns without reading rows (journeykpi validate).
type Schemer interface {
	// Schema returns the columns Read would produce, with their Arrow types.
	Schema(ctx context.Context) (*arrow.Schema, error)
}

// Describe is src's own description when it is a Describer, else its type.
func Describe(src Source) string {
	if d, ok := src.(Describer); ok {
		return d.Describe()
	}
	return fmt.Sprintf("%T", src)
}
