package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/internal/bqfake"
	"github.com/journeykpi/journeykpi/pipeline/schedule"
)

// snapshot reads every file of dir.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
			m[e.Name()] = b
		}
	}
	return m
}

// TestFullDiskKeepsTheLastGoodReport: a report written, then the disk fills: the next run of the
// same period fails with exit 1 and one plain line, and the previous workbook, JSON and manifest
// stay exactly as they were, with no temporary file left. On a small tmpfs (where the machine
// lets the test mount one) the disk is really full; elsewhere the process runs under a file size
// limit (ulimit -f), so that its writes fail with "file too large" instead.
func TestFullDiskKeepsTheLastGoodReport(t *testing.T) {
	dir := t.TempDir()
	cfg := smallSample(t, dir, 300)
	out := filepath.Join(dir, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	tmpfs := syscall.Mount("tmpfs", out, "tmpfs", 0, "size=2m") == nil
	if tmpfs {
		t.Cleanup(func() { syscall.Unmount(out, syscall.MNT_DETACH) })
		t.Log("full disk: a 2 MiB tmpfs, filled")
	} else {
		t.Log("full disk: no tmpfs could be mounted here; a file size limit (ulimit -f) makes the writes fail")
	}
	args := []string{"run", "--config", cfg, "--out", out, "--date", "2026-03-10"}
	if code := start(t, nil, args...).wait(t, 60*time.Second); code != exitOK {
		t.Fatalf("first run: exit %d", code)
	}
	before := snapshot(t, out)

	var p *proc
	if tmpfs {
		fillDisk(t, filepath.Join(out, "filler"), 16<<10)
		p = start(t, nil, args...)
	} else {
		// dash counts in 512-byte blocks: 20 KiB, enough for the probe and the ledger, not for the workbook.
		p = startShell(t, "ulimit -f 40 && exec \"$0\" \"$@\"", append([]string{binary(t)}, args...))
	}
	code := p.wait(t, 60*time.Second)
	msg := p.stderr.String()
	if code != exitFailed || !strings.Contains(msg, "\njourneykpi: ") || !(strings.Contains(msg, "no space left on device") || strings.Contains(msg, "file too large")) {
		t.Fatalf("run on a full disk: exit %d; stderr:\n%s", code, msg)
	}
	after := snapshot(t, out)
	for name, b := range before {
		if strings.HasSuffix(name, ".xlsx") || strings.HasSuffix(name, ".json") && name != schedule.LedgerFile {
			if !bytes.Equal(after[name], b) {
				t.Errorf("%s changed or vanished after the failed write", name)
			}
		}
	}
	os.Remove(filepath.Join(out, "filler"))
	checkOutput(t, out)
	es := ledgerEntries(t, out)
	if last := es[len(es)-1]; last.Outcome != schedule.OutcomeFailed {
		t.Errorf("ledger %+v", last)
	}

	if tmpfs {
		// Completely full: the output check fails before any data is read.
		fillDisk(t, filepath.Join(out, "filler"), 0)
		p := start(t, nil, args...)
		if code := p.wait(t, 60*time.Second); code != exitFailed || !strings.Contains(p.stderr.String(), "is not writable") ||
			strings.Contains(p.stderr.String(), `"msg":"read"`) {
			t.Errorf("run on a completely full disk: exit %d; stderr:\n%s", code, p.stderr)
		}
	}
}

// fillDisk writes path until the file system is full, then gives back free bytes.
func fillDisk(t *testing.T, path string, free int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	var n int64
	for {
		m, err := f.Write(buf)
		n += int64(m)
		if err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	if err := f.Truncate(max(n-free, 0)); err != nil {
		t.Fatal(err)
	}
}

// startShell runs script with sh -c, args as its $0, $1….
func startShell(t *testing.T, script string, args []string) *proc {
	t.Helper()
	return startCmd(t, exec.Command("sh", append([]string{"-c", script}, args...)...))
}

// TestCorruptParquetFailsTheRunAndTheScheduleGoesOn: a backfill over a Parquet file with a
// corrupt page fails each period with an error naming the file and the row group (exit 5, not a
// crash), records them failed in the ledger and posts each to the webhook.
func TestCorruptParquetFailsTheRunAndTheScheduleGoesOn(t *testing.T) {
	dir := t.TempDir()
	cfg := smallSample(t, dir, 300)
	pq := filepath.Join(dir, "data", "events.parquet")
	b, err := os.ReadFile(pq)
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < 164; i++ { // a data page of the first row group (zstd: Arrow's reader panics on it)
		b[i] ^= 0x5a
	}
	os.WriteFile(pq, b, 0o644)
	var mu sync.Mutex
	var notices []schedule.Notice
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n schedule.Notice
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &n)
		mu.Lock()
		notices = append(notices, n)
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	y, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(y), "\nschedule: {", "\nschedule: {webhook: "+hook.URL+"/hook, ", 1)), 0o644)
	out := filepath.Join(dir, "out")
	p := start(t, nil, "backfill", "--config", cfg, "--out", out, "--from", "2026-03-09", "--to", "2026-03-10")
	if code := p.wait(t, 60*time.Second); code != exitPartial || strings.Contains(p.stderr.String(), "goroutine ") {
		t.Fatalf("backfill over a corrupt file: exit %d; stderr:\n%s", code, p.stderr)
	}
	es := ledgerEntries(t, out)
	mu.Lock()
	defer mu.Unlock()
	if len(es) != 2 || len(notices) != 2 {
		t.Fatalf("ledger %+v, notices %+v", es, notices)
	}
	for i, e := range es {
		if e.Outcome != schedule.OutcomeFailed || !strings.Contains(e.Error, "events.parquet: row group ") || notices[i].Outcome != schedule.OutcomeFailed {
			t.Errorf("ledger %+v, notice %+v", e, notices[i])
		}
	}
}

// TestDataChangedBetweenTwoBackfills: a second backfill over the same range computes nothing
// while the input is unchanged, and exactly the periods again once it changed: files rewritten,
// or a BigQuery table modified.
func TestDataChangedBetweenTwoBackfills(t *testing.T) {
	backfill := func(t *testing.T, env []string, args ...string) string {
		t.Helper()
		p := start(t, env, args...)
		if code := p.wait(t, 60*time.Second); code != exitOK {
			t.Fatalf("backfill: exit %d; stderr:\n%s", code, p.stderr)
		}
		return p.stderr.String()
	}
	count := func(log, msg string) int { return strings.Count(log, `"msg":"`+msg+`"`) }
	t.Run("files", func(t *testing.T) {
		dir := t.TempDir()
		cfg := smallSample(t, dir, 300)
		out := filepath.Join(dir, "out")
		args := []string{"backfill", "--config", cfg, "--out", out, "--from", "2026-03-09", "--to", "2026-03-10"}
		if n := count(backfill(t, nil, args...), "run finished"); n != 2 {
			t.Fatalf("first backfill ran %d periods", n)
		}
		if n := count(backfill(t, nil, args...), "run finished"); n != 0 {
			t.Errorf("unchanged input: %d periods computed again", n)
		}
		// The data change (a later extract): every period reads the file, every one is redone.
		if out, err := exec.Command(binary(t), "sample", "--customers", "310", "--out", filepath.Join(dir, "data"), "--seed", "3").CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if n := count(backfill(t, nil, args...), "run finished"); n != 2 {
			t.Errorf("changed input: %d periods computed again, want 2", n)
		}
		checkOutput(t, out)
	})
	t.Run("bigquery", func(t *testing.T) {
		dir := t.TempDir()
		cfg := writeConfig(t, dir, `{cron: "0 3 1 1 *", period: previous_day}`, true)
		out := filepath.Join(dir, "out")
		srv, env, release := heldBigQueryServer(t)
		release()
		args := []string{"backfill", "--config", cfg, "--out", out, "--from", daysAgo(4), "--to", daysAgo(3)}
		if n := count(backfill(t, env, args...), "run finished"); n != 2 {
			t.Fatalf("first backfill ran %d periods", n)
		}
		if n := count(backfill(t, env, args...), "run finished"); n != 0 {
			t.Errorf("unchanged tables: %d periods computed again", n)
		}
		srv.SetTable("p.d.events", &bqfake.Table{Modified: time.Now()})
		if n := count(backfill(t, env, args...), "run finished"); n != 2 {
			t.Errorf("a modified table: %d periods computed again, want 2", n)
		}
		es := ledgerEntries(t, out)
		if len(es) != 4 || es[0].Input == "" || es[0].Input == es[3].Input {
			t.Errorf("ledger inputs: %+v", es)
		}
	})
}
