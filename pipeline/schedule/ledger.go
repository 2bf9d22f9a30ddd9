package schedule

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/journeykpi/journeykpi/internal/atomicfile"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// LedgerFile is the ledger's file name in the state directory.
const LedgerFile = "journeykpi-ledger.json"

// maxEntries bounds the ledger: years of nightly runs with recomputes fit, and the file stays
// small enough to rewrite atomically on every change.
const maxEntries = 5000

// Outcomes of a run in the ledger.
const (
	OutcomeRunning    = "running"    // started; still running, or the process died
	OutcomeOK         = "ok"         // report written, its period wholly covered by the data
	OutcomeIncomplete = "incomplete" // report written, but the data cover its period in part (warnings say how)
	OutcomeNoData     = "no_data"    // no event in the period; nothing written
	OutcomeFailed     = "failed"     // error or panic; nothing written
	// OutcomeInterrupted: cancelled on shutdown; nothing written.
	OutcomeInterrupted = "interrupted"
	OutcomeAbandoned   = "abandoned" // was running when the process died (found at the next start)
	OutcomeSkipped     = "skipped"   // a fire time that came while the previous run was still going
	// OutcomeUnchanged: the scheduler found the period's report already written from the same
	// config and the same input, and did not compute it again.
	OutcomeUnchanged = "unchanged"
)

// Triggers say why a run happened.
const (
	TriggerSchedule  = "schedule"
	TriggerRecompute = "recompute"
	TriggerCatchUp   = "catch_up"
	TriggerRecovery  = "recovery"
	TriggerBackfill  = "backfill"
	TriggerRun       = "run" // journeykpi run
)

// Entry is one run in the ledger. Times are RFC 3339 in UTC; From and To are the report's days.
type Entry struct {
	RunID   string `json:"run_id"`
	Trigger string `json:"trigger"`
	// Scheduled is the cron fire time the run belongs to (schedule, recompute, catch_up).
	Scheduled  string `json:"scheduled,omitempty"`
	From       string `json:"from"`
	To         string `json:"to"`
	ConfigHash string `json:"config_hash"`
	// Input is the input fingerprint the run was decided on (pipeline.Fingerprint): "" when the
	// source cannot tell.
	Input   string  `json:"input,omitempty"`
	Start   string  `json:"start"`
	End     string  `json:"end,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	Outcome string  `json:"outcome"`
	// Warnings are the codes of the report's warnings (data_ends_early…), for an incomplete one.
	Warnings []string `json:"warnings,omitempty"`
	RowsRead int64    `json:"rows_read"`
	Files    []string `json:"files,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// Ledger is the record of every run, kept in <state dir>/journeykpi-ledger.json and rewritten
// atomically on every change. Only the holder of the state directory's output lock (OutputLockFile)
// may change it, after a Reload; its methods are safe for concurrent use within that process.
type Ledger struct {
	mu      sync.Mutex
	path    string
	entries []Entry
}

type ledgerFile struct {
	Runs []Entry `json:"runs"`
}

// OpenLedger reads the ledger in dir; a missing file is an empty ledger.
func OpenLedger(dir string) (*Ledger, error) {
	l := &Ledger{path: filepath.Join(dir, LedgerFile)}
	b, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	var f ledgerFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("ledger %s: %w", l.path, err)
	}
	l.entries = f.Runs
	return l, nil
}

// Reload reads the file again, after another process (a backfill) may have changed it.
func (l *Ledger) Reload() error {
	fresh, err := OpenLedger(filepath.Dir(l.path))
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = fresh.entries
	return nil
}

// Path is the ledger file.
func (l *Ledger) Path() string { return l.path }

// Entries returns a copy of the runs, oldest first.
func (l *Ledger) Entries() []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Entry(nil), l.entries...)
}

// Put adds e, or replaces the entry with the same RunID, and writes the ledger.
func (l *Ledger) Put(e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	replaced := false
	for i := len(l.entries) - 1; i >= 0; i-- {
		if l.entries[i].RunID == e.RunID {
			l.entries[i] = e
			replaced = true
			break
		}
	}
	if !replaced {
		l.entries = append(l.entries, e)
	}
	if len(l.entries) > maxEntries {
		l.entries = append([]Entry(nil), l.entries[len(l.entries)-maxEntries:]...)
	}
	return l.save()
}

func (l *Ledger) save() error {
	b, err := json.MarshalIndent(ledgerFile{Runs: l.entries}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	if err := atomicfile.WriteBytes(l.path, append(b, '\n')); err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	return nil
}

// Latest returns the latest entry of window w that is a run (not a skipped fire time, nor an
// unchanged check): the one that made the report on disk, or tried to.
func (l *Ledger) Latest(w window.Window) (Entry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	from, to := w.FromDay(), w.ToDay()
	for i := len(l.entries) - 1; i >= 0; i-- {
		e := l.entries[i]
		if e.From != from || e.To != to || e.Outcome == OutcomeSkipped || e.Outcome == OutcomeUnchanged {
			continue
		}
		return e, true
	}
	return Entry{}, false
}

// Done reports whether window w's report is on disk from config hash hash and input fingerprint
// input: its latest run wrote it (ok or incomplete) with both the same, and its files are still
// there. Backfill and the scheduler skip such periods; any change of the config's report-relevant
// part or of the input makes the period due again.
func (l *Ledger) Done(w window.Window, hash, input string) bool { return l.Due(w, hash, input) == "" }

// Due says why window w must be computed with config hash hash and input fingerprint input,
// "" when it need not be (Done).
func (l *Ledger) Due(w window.Window, hash, input string) string {
	e, ok := l.Latest(w)
	switch {
	case !ok:
		return "never run"
	case e.Outcome != OutcomeOK && e.Outcome != OutcomeIncomplete:
		return "its last run: " + e.Outcome
	case e.ConfigHash != hash:
		return "the config changed"
	case e.Input != input:
		return "the input changed"
	}
	for _, f := range e.Files {
		if _, err := os.Stat(f); err != nil {
			return "its files are gone"
		}
	}
	return ""
}

// LastScheduled is the latest cron fire time the ledger has a run (or a skip) for.
func (l *Ledger) LastScheduled() (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var last time.Time
	for _, e := range l.entries {
		if e.Scheduled == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339, e.Scheduled); err == nil && t.After(last) {
			last = t
		}
	}
	return last, !last.IsZero()
}

// Abandon marks the runs still "running" as abandoned — their process died, since the caller
// holds the lock — and returns them, oldest first, so their windows can be redone.
func (l *Ledger) Abandon(now time.Time) ([]Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Entry
	for i := range l.entries {
		if l.entries[i].Outcome == OutcomeRunning {
			l.entries[i].Outcome = OutcomeAbandoned
			l.entries[i].End = now.UTC().Format(time.RFC3339)
			l.entries[i].Error = "the process ended during the run"
			out = append(out, l.entries[i])
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, l.save()
}
