package shard

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/journeykpi/journeykpi/internal/atomicfile"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/group"
	"github.com/journeykpi/journeykpi/pipeline/ingest"
)

// Shard is one of Count customer shards (run --shard i/N): the customers of a run of the
// engine's partitions. A shard folds its partitions as one run would and writes their
// accumulators; the merge replays every partition's in partition order, so N shards give the
// bytes of one run.
type Shard struct{ Index, Count int }

// Parse reads "i/N", 0 ≤ i < N ≤ 256.
func Parse(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	idx, err1 := strconv.Atoi(i)
	cnt, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || cnt < 1 || cnt > group.Partitions || idx < 0 || idx >= cnt {
		return Shard{}, fmt.Errorf("%q is not a shard i/N with 0 ≤ i < N ≤ %d", s, group.Partitions)
	}
	return Shard{Index: idx, Count: cnt}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Parts are the partitions of the shard: the Index-th of Count near-equal runs.
func (s Shard) Parts() (first, last int) {
	return s.Index * group.Partitions / s.Count, (s.Index+1)*group.Partitions/s.Count - 1
}

// Path is the file the shard of a report whose files are base.* writes its state to.
func (s Shard) Path(base string) string {
	return fmt.Sprintf("%s.shard-%d-of-%d", base, s.Index, s.Count)
}

// magic starts a shard state file; the digit is the version of the format.
const magic = "journeykpi shard 2\n"

// Header is what a shard state says of its read, in JSON after the magic line. The accumulators
// follow it in binary (kpi.Acc.AppendBinary).
type Header struct {
	ConfigHash string `json:"config_hash"`
	From       string `json:"from"`
	To         string `json:"to"`
	Index      int    `json:"index"`
	Count      int    `json:"count"`
	// By is run --by's step ("" for none).
	By string `json:"by"`
	// ShardRead says the source read only the shard's customers: the counts are the shard's.
	ShardRead bool      `json:"shard_read"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Full      time.Time `json:"full"`
	// DataEnd is the data's end the shard folded with; RowsEnd the latest event among its rows.
	DataEnd  int64           `json:"data_end"`
	RowsEnd  int64           `json:"rows_end"`
	Quality  kpi.DataQuality `json:"quality"`
	Cover    ingest.Coverage `json:"coverage"`
	Source   string          `json:"source"`
	LastRead string          `json:"last_read"`
	Spend    []kpi.SpendRow  `json:"spend"`
	// Stats are the fold's counts of each partition of the shard, in order.
	Stats []group.Stats `json:"stats"`
}

// Shard is the shard the header is of.
func (h *Header) Shard() Shard { return Shard{Index: h.Index, Count: h.Count} }

// State is one shard state file, read.
type State struct {
	Path   string
	Header Header
	// Dicts are the dictionaries the accumulators were coded with (in kpi.Dicts.List's order:
	// event names, touchpoints, campaigns, segments, lines, dimensions), each a list of names by
	// code.
	Dicts [kpi.NumDicts][]string
	// Accs are the accumulators of the shard's partitions, in order (kpi.DecodeAcc).
	Accs [][]byte
}

// Write writes a shard state to path atomically: h, the dictionaries, then one encoded
// accumulator per partition of the shard.
func Write(path string, h Header, dicts *kpi.Dicts, accs [][]byte) error {
	head, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("shard: %w", err)
	}
	b := append([]byte(magic), binary.AppendUvarint(nil, uint64(len(head)))...)
	b = append(b, head...)
	for _, d := range dicts.List() {
		b = binary.AppendUvarint(b, uint64(d.Len()))
		for c := range d.Len() {
			name := d.Name(uint32(c))
			b = binary.AppendUvarint(b, uint64(len(name)))
			b = append(b, name...)
		}
	}
	for _, acc := range accs {
		b = binary.AppendUvarint(b, uint64(len(acc)))
		b = append(b, acc...)
	}
	if err := atomicfile.WriteBytes(path, b); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return nil
}

// Files lists the shard state files among paths, directories expanded.
func Files(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fault.Errorf(fault.Config, "merge: %v", err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "*.shard-*-of-*"))
		if err != nil {
			return nil, err
		}
		for _, f := range m {
			if !atomicfile.IsTemp(filepath.Base(f)) {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		return nil, fault.Errorf(fault.Config, "merge: no shard state files in %s", strings.Join(paths, ", "))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Read reads one shard state file.
func Read(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	bad := func(why string) error {
		return fault.Errorf(fault.Config, "merge: %s is not a shard state of this version of journeykpi (%s)", path, why)
	}
	if !bytes.HasPrefix(data, []byte(magic)) {
		return nil, bad("no header")
	}
	r := bufio.NewReader(bytes.NewReader(data[len(magic):]))
	chunk := func() ([]byte, error) {
		n, err := binary.ReadUvarint(r)
		if err != nil || n > uint64(len(data)) {
			return nil, bad("truncated")
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, bad("truncated")
		}
		return b, nil
	}
	s := &State{Path: path}
	head, err := chunk()
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(head, &s.Header); err != nil {
		return nil, bad(err.Error())
	}
	for i := range s.Dicts {
		n, err := binary.ReadUvarint(r)
		if err != nil || n > uint64(len(data)) {
			return nil, bad("truncated")
		}
		for range n {
			name, err := chunk()
			if err != nil {
				return nil, err
			}
			s.Dicts[i] = append(s.Dicts[i], string(name))
		}
	}
	sh := s.Header.Shard()
	if _, err := Parse(sh.String()); err != nil {
		return nil, bad(err.Error())
	}
	first, last := sh.Parts()
	if len(s.Header.Stats) != last-first+1 {
		return nil, bad("partition counts")
	}
	for range last - first + 1 {
		acc, err := chunk()
		if err != nil {
			return nil, err
		}
		s.Accs = append(s.Accs, acc)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return nil, bad("trailing bytes")
	}
	return s, nil
}
