package schedule

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/window"
)

func TestLedgerDone(t *testing.T) {
	l, err := OpenLedger(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w, _ := window.Day("2024-03-01", time.UTC)
	put := func(id, outcome, hash string) {
		if err := l.Put(Entry{RunID: id, From: "2024-03-01", To: "2024-03-01", Outcome: outcome, ConfigHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		id, outcome, hash string
		done              bool
	}{
		{"1", OutcomeRunning, "h", false},
		{"1", OutcomeOK, "h", true},
		{"2", OutcomeSkipped, "h", true}, // a skip says nothing about the report
		{"3", OutcomeOK, "other", false}, // computed with another config
		{"4", OutcomeOK, "h", true},
		{"5", OutcomeFailed, "h", false}, // the latest attempt failed
	}
	for _, s := range steps {
		put(s.id, s.outcome, s.hash)
		if got := l.Done(w, "h", ""); got != s.done {
			t.Errorf("after %s %s/%s: Done=%v, want %v", s.id, s.outcome, s.hash, got, s.done)
		}
	}
	if n := len(l.Entries()); n != 5 {
		t.Errorf("%d entries, want 5 (run 1 updated in place)", n)
	}
}

func TestLedgerRejectsCorruptFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, LedgerFile), []byte("{"), 0o644)
	if _, err := OpenLedger(dir); err == nil {
		t.Error("corrupt ledger accepted")
	}
}
