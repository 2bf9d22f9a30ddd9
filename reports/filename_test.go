package reports

import (
	"os"
	"path/filepath"
	"testing"
)

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
