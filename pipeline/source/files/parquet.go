package files

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	pqfile "github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/metadata"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	"github.com/journeykpi/journeykpi/pipeline/source/files/textformat"
)

// pqFooter is what the planning step learns from a Parquet footer and hands to the workers, so
// that they do not parse it again.
type pqFooter struct {
	meta         *metadata.FileMetaData
	numRowGroups int
	leaves       []int    // leaf columns to read; nil means all
	dict         []int    // leaf columns to read as dictionary arrays
	all          []string // every top-level column of the file
}

// readAtSeekCloser is what a Parquet reader needs from an open file.
type readAtSeekCloser interface {
	parquet.ReaderAtSeeker
	io.Closer
}

// openAt opens f for random access. os.File, embed.FS and fstest.MapFS files all support it; a
// file system whose files do not is read into memory, the one case where a whole file is loaded.
func openAt(f file) (readAtSeekCloser, error) {
	h, err := f.fsys.Open(f.name)
	if err != nil {
		return nil, err
	}
	if ra, ok := h.(readAtSeekCloser); ok {
		return ra, nil
	}
	defer h.Close()
	data, err := io.ReadAll(h)
	if err != nil {
		return nil, err
	}
	return nopCloser{bytes.NewReader(data)}, nil
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// CorruptError is a Parquet file the reader cannot decode: a bad page, checksum or dictionary
// header, or a truncated file. RowGroup is -1 for the footer.
type CorruptError struct {
	RowGroup int
	Detail   string
}

func (e *CorruptError) Error() string {
	if e.RowGroup < 0 {
		return "corrupt or truncated Parquet footer: " + e.Detail
	}
	return fmt.Sprintf("row group %d: corrupt Parquet data: %s", e.RowGroup, e.Detail)
}

// readFooter reads f's footer and decides which columns to read and which as dictionaries. A
// footer the reader panics on is a CorruptError.
func readFooter(f file, mem memory.Allocator, columns []string) (ft *pqFooter, err error) {
	defer func() {
		if p := recover(); p != nil {
			ft, err = nil, &CorruptError{RowGroup: -1, Detail: fmt.Sprint(p)}
		}
	}()
	h, err := openAt(f)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	pf, err := pqfile.NewParquetReader(h, pqfile.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		if b := head(f); !bytes.HasPrefix(b, []byte("PAR1")) {
			return nil, textformat.NotFormatError("Parquet", b)
		}
		return nil, err
	}
	meta := pf.MetaData()
	sc := meta.Schema
	ft = &pqFooter{meta: meta, numRowGroups: len(meta.RowGroups)}
	var want map[string]bool
	if len(columns) > 0 {
		want = make(map[string]bool, len(columns))
		for _, c := range columns {
			want[c] = true
		}
		ft.leaves = []int{}
	}
	for i := range sc.NumColumns() {
		root := sc.ColumnRoot(i).Name()
		if len(ft.all) == 0 || ft.all[len(ft.all)-1] != root {
			ft.all = append(ft.all, root)
		}
		if want != nil {
			if !want[root] {
				continue
			}
			ft.leaves = append(ft.leaves, i)
		}
		col := sc.Column(i)
		if col.PhysicalType() == parquet.Types.ByteArray && col.MaxRepetitionLevel() == 0 &&
			col.Path() == root && dictionaryEncoded(meta, i) {
			ft.dict = append(ft.dict, i)
		}
	}
	if want != nil && len(ft.leaves) == 0 {
		return nil, fmt.Errorf("none of the columns %s is in the file; its columns are %s", strings.Join(columns, ", "), strings.Join(ft.all, ", "))
	}
	return ft, nil
}

// projectedBytes is the compressed size of the column chunks a read of ft's leaves covers.
func (ft *pqFooter) projectedBytes() int64 {
	var n int64
	for rg := range ft.numRowGroups {
		rgm := ft.meta.RowGroup(rg)
		for _, i := range ft.leaves {
			if cc, err := rgm.ColumnChunk(i); err == nil {
				n += cc.TotalCompressedSize()
			}
		}
	}
	return n
}

// dictionaryEncoded reports whether leaf column i is dictionary-encoded in every row group, so
// that reading it as an Arrow dictionary array costs nothing extra. A column whose writer fell
// back to plain pages (too many distinct values, e.g. an id) is read as plain strings.
func dictionaryEncoded(meta *metadata.FileMetaData, i int) bool {
	if len(meta.RowGroups) == 0 {
		return false
	}
	for rg := range len(meta.RowGroups) {
		cc, err := meta.RowGroup(rg).ColumnChunk(i)
		if err != nil || !cc.HasDictionaryPage() {
			return false
		}
		for _, st := range cc.EncodingStats() {
			switch st.PageType.String() {
			case "DATA_PAGE", "DATA_PAGE_V2":
				if st.Encoding != parquet.Encodings.RLEDict && st.Encoding != parquet.Encodings.PlainDict {
					return false
				}
			}
		}
	}
	return true
}

// arrowReader opens f, whose footer is ft, for reading with props, its dictionary-encoded
// string columns as dictionary arrays. The caller closes the returned file.
func (s *Source) arrowReader(f file, ft *pqFooter, props pqarrow.ArrowReadProperties) (*pqarrow.FileReader, io.Closer, error) {
	h, err := openAt(f)
	if err != nil {
		return nil, nil, err
	}
	// The pages are read with Go's allocator whatever the records' one: Arrow v15 releases a
	// dictionary page while its decoder still reads the values from it, which only memory that
	// is never reused (the garbage collector's) survives.
	pf, err := pqfile.NewParquetReader(h, pqfile.WithReadProps(parquet.NewReaderProperties(memory.DefaultAllocator)), pqfile.WithMetadata(ft.meta))
	if err != nil {
		h.Close()
		return nil, nil, err
	}
	for _, i := range ft.dict {
		props.SetReadDict(i, true)
	}
	fr, err := pqarrow.NewFileReader(pf, props, s.records)
	if err != nil {
		h.Close()
		return nil, nil, err
	}
	return fr, h, nil
}

// readParquet streams the row groups of t, one record batch at a time.
//
// The columns of a batch are read one after another on this goroutine (Parallel false), not by
// pqarrow's own goroutines: Arrow v15 panics on some corrupt pages (a zstd block that does not
// decode, a bad dictionary header), and a panic in a goroutine of its own would end the process;
// here readRowGroup recovers it as an error naming the file and the row group. The read stays
// parallel across row groups and files (Options.Parallel).
func (s *Source) readParquet(ctx context.Context, t task, emit func(arrow.Record) error) error {
	fr, h, err := s.arrowReader(t.f, t.meta, pqarrow.ArrowReadProperties{Parallel: false, BatchSize: int64(s.opts.BatchRows)})
	if err != nil {
		return err
	}
	defer h.Close()
	// One record reader per row group: a batch must not span two row groups, since a dictionary
	// column's dictionary changes between them and pqarrow v15 cannot join the two.
	for _, rg := range t.rowGroups {
		if err := readRowGroup(ctx, fr, t.meta, rg, emit); err != nil {
			return err
		}
	}
	return nil
}

// readRowGroup reads row group rg. A panic of the Parquet reader (corrupt data) comes back as an
// error naming the row group; one from emit is passed on as it is.
func readRowGroup(ctx context.Context, fr *pqarrow.FileReader, ft *pqFooter, rg int, emit func(arrow.Record) error) (err error) {
	inEmit := false
	defer func() {
		if p := recover(); p != nil {
			if inEmit {
				panic(p)
			}
			err = &CorruptError{RowGroup: rg, Detail: fmt.Sprint(p)}
		}
	}()
	rr, err := fr.GetRecordReader(ctx, ft.leaves, []int{rg})
	if err != nil {
		return err
	}
	defer rr.Release()
	// A projection's records say which columns the file has, for a message about a missing one.
	var schema *arrow.Schema
	if ft.leaves != nil {
		schema = arrow.NewSchema(rr.Schema().Fields(), textformat.FileColumns(ft.all))
	}
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := rr.Record()
		if schema != nil {
			rec = array.NewRecord(schema, rec.Columns(), rec.NumRows())
		} else {
			rec.Retain()
		}
		inEmit = true
		err := send(rec, emit)
		inEmit = false
		if err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) { // v15 reports io.EOF at the end
		return fmt.Errorf("row group %d: %w", rg, err)
	}
	return nil
}

// parquetSchema is the schema of the records Read makes from f: the projected columns, with
// dictionary-encoded strings as dictionary types.
func (s *Source) parquetSchema(f file) (*arrow.Schema, error) {
	ft, err := readFooter(f, s.opts.Allocator, s.opts.Columns)
	if err != nil {
		return nil, err
	}
	fr, h, err := s.arrowReader(f, ft, pqarrow.ArrowReadProperties{})
	if err != nil {
		return nil, err
	}
	defer h.Close()
	sc, err := fr.Schema()
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, i := range ft.leaves {
		keep[ft.meta.Schema.ColumnRoot(i).Name()] = true
	}
	var fields []arrow.Field
	for _, fl := range sc.Fields() {
		if ft.leaves == nil || keep[fl.Name] {
			fields = append(fields, fl)
		}
	}
	return arrow.NewSchema(fields, textformat.FileColumns(ft.all)), nil
}
