package reports

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.WriteString(w, "first")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "first" {
		t.Fatalf("read back %q, %v", got, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}

	// A failing writer leaves the previous file as it was and no temporary file behind.
	boom := errors.New("boom")
	err = WriteFileAtomic(path, func(w io.Writer) error {
		_, _ = io.WriteString(w, "half of the sec")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "first" {
		t.Errorf("after a failed write the file holds %q", got)
	}
	if names := dirEntries(t, dir); len(names) != 1 || names[0] != "r.json" {
		t.Errorf("directory holds %v, want only r.json", names)
	}

	// A failed first write leaves no file at all.
	fresh := filepath.Join(dir, "new.json")
	if err := WriteFileAtomic(fresh, func(io.Writer) error { return boom }); err == nil {
		t.Fatal("failed write reported success")
	}
	if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed write left %s: %v", fresh, err)
	}
	if names := dirEntries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only r.json", names)
	}

	// A missing directory is an error, not a panic.
	if err := WriteFileAtomic(filepath.Join(dir, "no", "x"), func(io.Writer) error { return nil }); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

func TestFileBase(t *testing.T) {
	for _, tc := range []struct{ name, from, to, want string }{
		{"journey-report", "2026-10-01", "2026-10-31", "journey-report_2026-10-01_2026-10-31"},
		{"../../etc/passwd", "2026-10-01", "2026-10-31", "etc_passwd_2026-10-01_2026-10-31"},
		{"Q4 report: EU/DE", "2026-10-01", "2026-12-31", "Q4_report_EU_DE_2026-10-01_2026-12-31"},
		{"", "2026-10-01", "2026-10-31", "report_2026-10-01_2026-10-31"},
		{"..", "a/b", "c\\d", "report_a_b_c_d"},
		{"CON", "2026-10-01", "2026-10-01", "_CON_2026-10-01_2026-10-01"},
		{"naïve café", "2026-10-01", "2026-10-01", "na_ve_caf_2026-10-01_2026-10-01"},
		{".hidden", "2026-10-01", "2026-10-01", "hidden_2026-10-01_2026-10-01"},
	} {
		if got := FileBase(tc.name, tc.from, tc.to); got != tc.want {
			t.Errorf("FileBase(%q, %q, %q) = %q, want %q", tc.name, tc.from, tc.to, got, tc.want)
		}
	}
}

func TestWriteNilResult(t *testing.T) {
	dir := t.TempDir()
	if err := WriteWorkbook(filepath.Join(dir, "r.xlsx"), nil, About{}); err == nil {
		t.Error("WriteWorkbook(nil) succeeded")
	}
	if err := WriteJSON(filepath.Join(dir, "r.json"), nil); err == nil {
		t.Error("WriteJSON(nil) succeeded")
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Errorf("left behind: %v", names)
	}
}
