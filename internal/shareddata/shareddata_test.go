package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPathHonoursTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "datasets", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "datasets", "x", "f.csv"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JOURNEYKPI_SHARED", dir)
	if got, want := Path(t, "x/f.csv"), filepath.Join(dir, "datasets", "x", "f.csv"); got != want {
		t.Errorf("Path = %s, want %s", got, want)
	}
}

func TestPathSkipsWhenAbsent(t *testing.T) {
	t.Setenv("JOURNEYKPI_SHARED", t.TempDir())
	skipped := true
	t.Run("absent", func(t *testing.T) {
		Path(t, "nothing/here.csv")
		skipped = false
	})
	if !skipped {
		t.Error("Path returned for an absent file instead of skipping")
	}
}

func TestModuleRootHoldsGoMod(t *testing.T) {
	if _, err := os.Stat(filepath.Join(moduleRoot(t), "go.mod")); err != nil {
		t.Fatal(err)
	}
}
