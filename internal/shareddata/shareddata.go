// Package shareddata locates, for tests, the third-party reference datasets that are kept outside
// the repository (CDNOW, UCI Online Retail, ChannelAttribution).
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of rel inside the datasets folder of the shared reference data:
// $JOURNEYKPI_SHARED when set, else the folder "shared" beside the module root. When the file is
// absent it skips t, saying where it looked, so a checkout without the data still passes.
func Path(t testing.TB, rel string) string {
	t.Helper()
	dir := os.Getenv("JOURNEYKPI_SHARED")
	if dir == "" {
		dir = filepath.Join(moduleRoot(t), "..", "shared")
	}
	p := filepath.Join(dir, "datasets", rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared datasets not found at %s (%s missing); set JOURNEYKPI_SHARED", dir, rel)
	}
	return p
}

// moduleRoot is the nearest folder holding go.mod above the test's working directory.
func moduleRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return wd
		}
	}
}
