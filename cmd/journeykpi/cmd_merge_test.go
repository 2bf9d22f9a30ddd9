package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShardsAndMergeCommands: run --shard i/N for each i into one directory, then merge it, gives
// the files a plain run gives; a bad --shard or a merge of nothing is a usage error.
func TestShardsAndMergeCommands(t *testing.T) {
	dir := t.TempDir()
	plain, shards, merged := filepath.Join(dir, "plain"), filepath.Join(dir, "shards"), filepath.Join(dir, "merged")
	window := []string{"--from", "2026-04-01", "--to", "2026-04-14"}
	if code, _, stderr := runCmd(t, append([]string{"run", "--out", plain}, window...)...); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	for _, s := range []string{"0/2", "1/2"} {
		code, stdout, stderr := runCmd(t, append([]string{"run", "--out", shards, "--shard", s}, window...)...)
		if code != exitOK || !strings.Contains(stdout, ".shard-"+strings.Replace(s, "/", "-of-", 1)) {
			t.Fatalf("run --shard %s: exit %d, stdout %q: %s", s, code, stdout, stderr)
		}
	}
	code, stdout, stderr := runCmd(t, "merge", "--out", merged, shards)
	if code != exitOK {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	for _, name := range []string{"journey-report_2026-04-01_2026-04-14.xlsx", "journey-report_2026-04-01_2026-04-14.json"} {
		want, err := os.ReadFile(filepath.Join(plain, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(merged, name))
		if err != nil {
			t.Fatalf("merge wrote %q: %v", stdout, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s from the merge differs from the plain run's", name)
		}
	}
	for _, c := range [][]string{{"run", "--shard", "2/2"}, {"run", "--shard", "x"}, {"merge"}, {"merge", filepath.Join(dir, "none")}} {
		if code, _, stderr := runCmd(t, c...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d: %s", c, code, exitUsage, stderr)
		}
	}
}
