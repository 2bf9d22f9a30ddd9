package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/ingest"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery"
)

// runCmd runs the command line in-process and returns its exit code, stdout and stderr.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := console{stdout: &out, stderr: &errb, logger: slog.New(slog.NewJSONHandler(&errb, nil))}
	err := run(context.Background(), args, e)
	code := exitCode(err, &errb, e.logger)
	return code, out.String(), errb.String()
}

func TestUsageErrorsExitTwoAndNameTheFlag(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "no command given"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"run", "--form", "2026-01-01"}, "-form"},
		{[]string{"run", "--date", "2026-13-01"}, "--date"},
		{[]string{"run", "--date", "2026-01-01", "--from", "2026-01-01"}, "--date cannot be combined"},
		{[]string{"run", "--from", "2026-01-01"}, "--from and --to go together"},
		{[]string{"run", "--from", "2026-02-01", "--to", "2026-01-01"}, "after"},
		{[]string{"run", "extra"}, `unexpected argument "extra"`},
		{[]string{"run", "--config", "/nonexistent/c.yaml"}, "/nonexistent/c.yaml"},
		{[]string{"run", "--by", "year"}, `--by: "year" is not a period`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, _, stderr := runCmd(t, c.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q lacks %q", stderr, c.want)
			}
		})
	}
}

func TestBadConfigNamesTheKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	yaml := "source: {kind: files, files: {paths: [x.csv]}}\nfunnel: {windw: 30d}\n"
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "validate", "--config", p)
	if code != exitUsage || !strings.Contains(stderr, "windw") || !strings.Contains(stderr, "line 2") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	yaml = "source: {kind: files, files: {paths: [x.csv]}}\nfunnel: {window: 3x}\nrepeat: {cohort: year}\n"
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCmd(t, "run", "--config", p)
	if code != exitUsage || !strings.Contains(stderr, `"3x" is not a duration`) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, cmd := range []string{"run", "validate"} {
		code, out, _ := runCmd(t, cmd, "--help")
		if code != 0 || !strings.Contains(out, "Exit codes") || !strings.Contains(out, "--config") {
			t.Errorf("%s --help: exit %d, output %q", cmd, code, out)
		}
	}
	// run and plan share their window flags, so both say the same about --date.
	for _, cmd := range []string{"run", "plan"} {
		if _, out, _ := runCmd(t, cmd, "--help"); !strings.Contains(out, "YYYY-MM-DD, yesterday or today") {
			t.Errorf("%s --help does not say --date takes yesterday and today:\n%s", cmd, out)
		}
	}
	code, out, _ := runCmd(t, "--help")
	if code != 0 || !strings.Contains(out, "journeykpi run") || !strings.Contains(out, "130") {
		t.Errorf("--help: exit %d, output %q", code, out)
	}
	if code, out, _ := runCmd(t, "version"); code != 0 || !strings.HasPrefix(out, "journeykpi ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestDateKeywordsFollowTheReportTimeZone(t *testing.T) {
	cfg, _, err := loadConfig("", console{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Report.Timezone = "Asia/Tokyo"
	// 20:00 UTC on 2026-03-10 is already 2026-03-11 in Tokyo.
	now := time.Date(2026, 3, 10, 20, 0, 0, 0, time.UTC)
	for date, want := range map[string]string{"yesterday": "2026-03-10", "today": "2026-03-11", "2026-01-05": "2026-01-05"} {
		w, err := resolveWindow(cfg, "", "", date, now)
		if err != nil || w.FromDay() != want || w.ToDay() != want {
			t.Errorf("--date %s = %v, %v; want %s", date, w, err, want)
		}
	}
}

func TestUserErrorsPrintOnePlainLine(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
		want string
	}{
		{fmt.Errorf("open: %w", bigquery.ErrNoCredentials), exitUsage, "gcloud auth application-default login"},
		{fmt.Errorf("read: %w", &ingest.MissingColumnError{Canonical: "customer_id", Source: "uid"}), exitUsage, `no column "uid"`},
		{&bigquery.Error{Op: "query", Reason: "accessDenied", Err: errors.New("denied"), Hint: "grant roles/bigquery.jobUser"}, exitFailed, "roles/bigquery.jobUser"},
	} {
		var stderr bytes.Buffer
		var logs bytes.Buffer
		code := exitCode(c.err, &stderr, slog.New(slog.NewJSONHandler(&logs, nil)))
		if code != c.code || !strings.Contains(stderr.String(), c.want) || strings.Count(stderr.String(), "\n") != 1 || logs.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q, logs %q", c.err, code, stderr.String(), logs.String())
		}
	}
}

// TestRunLogLinesCarryRunIDAndWindow: every log line of `run`, the final "run failed" one
// included, names the run and its window (house style; docs/operations.md "Logs"); the lines
// before the run (the config it uses) name the command, and a failure ends with one plain line.
func TestRunLogLinesCarryRunIDAndWindow(t *testing.T) {
	for _, c := range []struct {
		name string
		args func(t *testing.T) []string
		code int
	}{
		{"ok", func(t *testing.T) []string { return nil }, exitOK},
		{"failed", func(t *testing.T) []string {
			// A Parquet file that is not one: the read fails, an internal error.
			dir := t.TempDir()
			bad := filepath.Join(dir, "events.parquet")
			cfg := filepath.Join(dir, "c.yaml")
			if os.WriteFile(bad, []byte("PAR1 not a parquet file PAR1"), 0o644) != nil ||
				os.WriteFile(cfg, []byte("source: {kind: files, files: {paths: ["+strconv.Quote(bad)+"]}}\n"), 0o644) != nil {
				t.Fatal("cannot write the test files")
			}
			return []string{"--config", cfg}
		}, exitFailed},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"run", "--date", "2026-03-02", "--out", t.TempDir()}, c.args(t)...)
			code, _, stderr := runCmd(t, args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d: %s", code, c.code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if c.code != exitOK {
				if last := lines[len(lines)-1]; !strings.HasPrefix(last, "journeykpi: ") {
					t.Errorf("no plain line at the end: %q", last)
				}
				lines = lines[:len(lines)-1]
			}
			if len(lines) < 2 {
				t.Fatalf("only %d log lines: %s", len(lines), stderr)
			}
			ids := map[string]bool{}
			for _, l := range lines {
				var rec map[string]any
				if err := json.Unmarshal([]byte(l), &rec); err != nil {
					t.Fatalf("not a JSON log line: %q", l)
				}
				if msg, _ := rec["msg"].(string); strings.HasPrefix(msg, "config: ") {
					continue
				}
				id, _ := rec["run_id"].(string)
				if len(id) != 16 || rec["window"] != "2026-03-02..2026-03-02" {
					t.Errorf("line lacks run_id or window: %s", l)
				}
				ids[id] = true
			}
			if len(ids) != 1 {
				t.Errorf("lines carry %d run ids, want 1", len(ids))
			}
		})
	}
}

// TestProgressFollowsStderr: progress is drawn on stderr, so only stderr being a terminal turns
// it on; `journeykpi backfill ... 2>log` on a terminal keeps every log line in the file.
func TestProgressFollowsStderr(t *testing.T) {
	for _, tty := range []*os.File{os.Stdout, os.Stderr} {
		e := newConsole(os.Stdout, os.Stderr, func(f *os.File) bool { return f == tty })
		if want := tty == os.Stderr; e.terminal != want || (progressWriter(e) != nil) != want {
			t.Errorf("terminal %s: console.terminal %v, progress %v; want %v", tty.Name(), e.terminal, progressWriter(e) != nil, want)
		}
	}
}

// TestSourceConfigErrorsExitTwo: a source mistake (the ga4 preset with source.columns) is found
// when the config loads, before any request: exit 2 with one line naming the file and the key.
func TestSourceConfigErrorsExitTwo(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	yaml := "source: {kind: bigquery, preset: ga4, bigquery: {project: p, table: p.d.events_x}, columns: {customer_id: x}}\n"
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"run", "--out", t.TempDir()}, {"validate"}} {
		code, _, stderr := runCmd(t, append(args, "--config", p)...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		plain := lines[len(lines)-1]
		if code != exitUsage || !strings.HasPrefix(plain, "journeykpi: "+p+": source.columns: ") || strings.Count(stderr, "journeykpi: ") != 1 {
			t.Errorf("%s: exit %d, stderr %q", args[0], code, stderr)
		}
	}
}
