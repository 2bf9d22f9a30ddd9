package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// dirState reads every file of dir: name → content.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

func names(m map[string]string) string {
	var ns []string
	for n := range m {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return strings.Join(ns, " ")
}

func text(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// TestSetCommitSurvivesAKillAfterEveryStep: a commit stopped after any of its steps, as a kill
// would stop it — between any two of its renames too — leaves, once Recover and RemoveStale have
// run, the old versions of every file or the new versions of every file, never a mix, and
// nothing else.
func TestSetCommitSurvivesAKillAfterEveryStep(t *testing.T) {
	// Stage the record, write the journal, three renames, sync the directory, remove the journal.
	const allSteps = 7
	for steps := 1; steps <= allSteps; steps++ {
		dir := t.TempDir()
		old := map[string]string{"r.xlsx": "old workbook", "r.json": "old json", "r.manifest.json": "old manifest"}
		for n, c := range old {
			os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)
		}
		s := NewSet(dir)
		d, err := s.Add(filepath.Join(dir, "r.xlsx"), text("new workbook"))
		if err != nil || d.Name != "r.xlsx" || d.Bytes != 12 || len(d.SHA256) != 64 {
			t.Fatalf("Add: %+v, %v", d, err)
		}
		if _, err := s.Add(filepath.Join(dir, "r.json"), text("new json")); err != nil {
			t.Fatal(err)
		}
		if err := s.commit(filepath.Join(dir, "r.manifest.json"), []byte("new manifest"), steps); err != nil {
			t.Fatalf("after %d steps: %v", steps, err)
		}
		if steps == 3 { // the workbook renamed, not the JSON: the mixed set a reader must never trust
			if got := dirState(t, dir); got["r.xlsx"] != "new workbook" || got["r.json"] != "old json" {
				t.Fatalf("after 3 steps: %v, want the workbook renamed and not the JSON", got)
			}
		}
		if _, err := Recover(dir); err != nil {
			t.Fatalf("after %d steps: Recover: %v", steps, err)
		}
		if _, err := RemoveStale(dir); err != nil {
			t.Fatal(err)
		}
		got := dirState(t, dir)
		want := old
		if steps >= 2 { // the journal is the commit point
			want = map[string]string{"r.xlsx": "new workbook", "r.json": "new json", "r.manifest.json": "new manifest"}
		}
		if names(got) != names(want) {
			t.Errorf("after %d steps: files %s, want %s", steps, names(got), names(want))
			continue
		}
		for n, c := range want {
			if got[n] != c {
				t.Errorf("after %d steps: %s = %q, want %q (a mixed set)", steps, n, got[n], c)
			}
		}
	}
}

// TestSetFailedWriteKeepsThePreviousFiles: a file of the set that cannot be written (a full disk)
// leaves the previous versions of all of them, and no temporary file.
func TestSetFailedWriteKeepsThePreviousFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "r.xlsx"), []byte("old workbook"), 0o644)
	os.WriteFile(filepath.Join(dir, "r.json"), []byte("old json"), 0o644)
	s := NewSet(dir)
	if _, err := s.Add(filepath.Join(dir, "r.xlsx"), text("new workbook")); err != nil {
		t.Fatal(err)
	}
	full := errors.New("no space left on device")
	if _, err := s.Add(filepath.Join(dir, "r.json"), func(io.Writer) error { return full }); !errors.Is(err, full) {
		t.Fatalf("Add: %v", err)
	}
	s.Abort()
	got := dirState(t, dir)
	if names(got) != "r.json r.xlsx" || got["r.xlsx"] != "old workbook" || got["r.json"] != "old json" {
		t.Errorf("after a failed write: %v", got)
	}
	if _, err := NewSet(dir).Add(filepath.Join(t.TempDir(), "x"), text("x")); err == nil {
		t.Error("a file outside the set's directory was accepted")
	}
}

func TestIsJournal(t *testing.T) {
	for name, want := range map[string]bool{
		".r.manifest.json.commit":            true,
		"..r.manifest.json.commit.tmp-12345": false, // the journal's own temporary file
		"r.commit":                           false,
		".r.json.tmp-1":                      false,
	} {
		if IsJournal(name) != want {
			t.Errorf("IsJournal(%q) = %v", name, !want)
		}
	}
}

// TestRecoverStopsAtAFailedRename: when one rename of a journaled commit fails, Recover puts
// nothing after it in place — never the commit record over files that are not the new ones — and
// keeps the journal and the temporary files; a later Recover finishes the commit.
func TestRecoverStopsAtAFailedRename(t *testing.T) {
	dir := t.TempDir()
	old := map[string]string{"r.json": "old json", "r.manifest.json": "old manifest"}
	for n, c := range old {
		os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)
	}
	// In the workbook's place, something a rename cannot replace: a directory with a file in it.
	blocker := filepath.Join(dir, "r.xlsx")
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := NewSet(dir)
	for _, f := range [][2]string{{"r.xlsx", "new workbook"}, {"r.json", "new json"}} {
		if _, err := s.Add(filepath.Join(dir, f[0]), text(f[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.commit(filepath.Join(dir, "r.manifest.json"), []byte("new manifest"), 2); err != nil {
		t.Fatal(err)
	}
	if n, err := Recover(dir); err == nil || n != 0 {
		t.Fatalf("Recover over a blocked rename: %d, %v", n, err)
	}
	read := func(name string) string { b, _ := os.ReadFile(filepath.Join(dir, name)); return string(b) }
	if j, m := read("r.json"), read("r.manifest.json"); j != "old json" || m != "old manifest" {
		t.Fatalf("after a failed rename: json %q, manifest %q; want both old", j, m)
	}
	os.RemoveAll(blocker)
	if n, err := Recover(dir); err != nil || n != 1 {
		t.Fatalf("second Recover: %d, %v", n, err)
	}
	if _, err := RemoveStale(dir); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"r.xlsx": "new workbook", "r.json": "new json", "r.manifest.json": "new manifest"}
	if got := dirState(t, dir); names(got) != names(want) || got["r.xlsx"] != want["r.xlsx"] || got["r.json"] != want["r.json"] ||
		got["r.manifest.json"] != want["r.manifest.json"] {
		t.Errorf("after the second Recover: %v, want %v", got, want)
	}
}
