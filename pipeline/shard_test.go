package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/journeykpi/journeykpi"
	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/kpi"
	"github.com/journeykpi/journeykpi/pipeline/shard"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// TestShardsMergeToTheSameBytes: a report made of N shards (run --shard i/N, then merge) is
// byte for byte the report of one run, workbook and JSON, for several N, with the shards' files
// passed as a directory. Everything spills, so the shards' folds read their partitions back.
func TestShardsMergeToTheSameBytes(t *testing.T) {
	cfg, err := config.Example()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Engine.Workers = 2
	cfg.Engine.MemoryBudget = 1
	cfg.Engine.TempDir = t.TempDir()
	w, err := window.Parse("2026-04-01", "2026-04-30", cfg.Location())
	if err != nil {
		t.Fatal(err)
	}
	for _, by := range []string{"", "week"} {
		testShards(t, cfg, w, by)
	}
}

func testShards(t *testing.T, cfg config.Config, w window.Window, by string) {
	one := t.TempDir()
	o, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: one, FS: journeykpi.Sample(), Version: "test", By: by})
	if err != nil {
		t.Fatal(err)
	}
	want := readAll(t, o.Files)
	ns := []int{1, 3, 8}
	if by != "" {
		ns = []int{3}
	}
	for _, n := range ns {
		shards, out := t.TempDir(), t.TempDir()
		c := cfg
		for i := range n {
			s := shard.Shard{Index: i, Count: n}
			so, err := Run(context.Background(), Job{Config: c, Window: w, Out: shards, FS: journeykpi.Sample(), Version: "test", Shard: &s, By: by})
			if err != nil {
				t.Fatalf("shard %s: %v", s, err)
			}
			if len(so.Files) != 1 || !strings.HasSuffix(so.Files[0], ".shard-"+strings.ReplaceAll(s.String(), "/", "-of-")) {
				t.Fatalf("shard %s wrote %v", s, so.Files)
			}
		}
		outs, err := Merge(context.Background(), MergeJob{Job: Job{Config: c, Out: out, Version: "test"}, Paths: []string{shards}})
		if err != nil {
			t.Fatalf("%d shards: %v", n, err)
		}
		if len(outs) != 1 {
			t.Fatalf("%d shards: merged %d reports, want 1", n, len(outs))
		}
		got := readAll(t, outs[0].Files)
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Errorf("%d shards (by %q): %s differs from one run's", n, by, filepath.Base(outs[0].Files[i]))
			}
		}
	}
}

// TestMergeRefusesIncompleteOrForeignShards: a missing shard, a shard twice, or a shard of
// another configuration is an error naming the file, and nothing is written.
func TestMergeRefusesIncompleteOrForeignShards(t *testing.T) {
	cfg, err := config.Example()
	if err != nil {
		t.Fatal(err)
	}
	w, _ := window.Parse("2026-04-01", "2026-04-07", cfg.Location())
	dir := t.TempDir()
	var paths []string
	for i := range 3 {
		s := shard.Shard{Index: i, Count: 3}
		o, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: dir, FS: journeykpi.Sample(), Shard: &s})
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, o.Files[0])
	}
	other := cfg
	other.Funnel.Top = 3
	for _, c := range []struct {
		name  string
		cfg   config.Config
		paths []string
		want  string
	}{
		{"missing", cfg, paths[:2], "shard 2/3 is missing"},
		{"twice", cfg, []string{paths[0], paths[1], paths[2], dir}, ""},
		{"other config", other, paths, "another configuration"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			_, err := Merge(context.Background(), MergeJob{Job: Job{Config: c.cfg, Out: out}, Paths: c.paths})
			if c.want == "" {
				if err != nil {
					t.Fatalf("the same file named twice: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || fault.KindOf(err) != fault.Config {
				t.Fatalf("error %v, want a config error saying %q", err, c.want)
			}
			if es, _ := os.ReadDir(out); len(es) != 0 {
				t.Errorf("a refused merge wrote %d files", len(es))
			}
		})
	}
	if _, err := shard.Parse("3/3"); err == nil {
		t.Error("shard 3/3 accepted")
	}
	if s, err := shard.Parse("2/5"); err != nil || s != (shard.Shard{Index: 2, Count: 5}) {
		t.Errorf("2/5 = %v, %v", s, err)
	}
}

func readAll(t *testing.T, paths []string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// Shards that each read only their customers add up every count of their reads: the merged
// report's rows read are its rows kept, filtered, rejected and outside the range.
func TestSumReadsAddsEveryRowCount(t *testing.T) {
	state := func(read, filtered, rejected, outside int64) *shard.State {
		return &shard.State{Header: shard.Header{Quality: kpi.DataQuality{RowsRead: read, RowsFiltered: filtered,
			RowsRejected: rejected, RejectedByReason: map[string]int64{"customer_id_missing": rejected}, RowsOutsideRange: outside}}}
	}
	q, _ := sumReads([]*shard.State{state(10, 2, 1, 3), state(20, 5, 4, 0)})
	if q.RowsRead != 30 || q.RowsFiltered != 7 || q.RowsRejected != 5 || q.RejectedByReason["customer_id_missing"] != 5 || q.RowsOutsideRange != 3 {
		t.Errorf("read %d, filtered %d, rejected %d %v, outside %d; want 30, 7, 5, 3", q.RowsRead, q.RowsFiltered, q.RowsRejected, q.RejectedByReason, q.RowsOutsideRange)
	}
}
