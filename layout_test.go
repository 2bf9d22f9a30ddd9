package journeykpi

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/journeykpi/journeykpi"

// TestImportsFlowOneWay keeps the layout of README "How it works" true: imports flow
// cmd → pipeline → pipeline/* → {kpi, reports, config, internal/*}. No package imports its parent;
// kpi and the calendar (pipeline/window) import nothing of the project; reports imports no
// pipeline package; only cmd imports the pipeline root. In-package tests are held to the same
// rules; external test packages (package x_test) may import anything, as end-to-end tests do.
func TestImportsFlowOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "|")
		from := rel(f[0])
		for i, imports := range f[1:] {
			for _, imp := range strings.Fields(imports) {
				if !strings.HasPrefix(imp, module+"/") && imp != module {
					continue
				}
				to := rel(imp)
				if i == 1 && testHelpers[to] {
					continue
				}
				if reason := forbidden(from, to); reason != "" {
					t.Errorf("%s imports %s: %s", from, to, reason)
				}
			}
		}
	}
}

// testHelpers are packages that exist for tests.
var testHelpers = map[string]bool{"internal/shareddata": true, "internal/memsource": true, "internal/bqfake": true}

// rel is a package's path inside the module ("" for the root).
func rel(pkg string) string { return strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/") }

// under reports whether pkg is dir or a package below it.
func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// forbidden says why from may not import to, or "" when it may.
func forbidden(from, to string) string {
	switch {
	case from != "" && strings.HasPrefix(from, to+"/"):
		return "a package never imports its parent"
	case under(from, "kpi"):
		return "kpi imports nothing of the project"
	case from == "pipeline/window":
		return "the calendar imports nothing of the project"
	case under(to, "cmd"):
		return "nothing imports the command"
	case to == "pipeline" && !under(from, "cmd"):
		return "only cmd runs the pipeline"
	case under(from, "reports") && under(to, "pipeline"):
		return "reports renders what kpi computed and knows no pipeline package"
	case (under(from, "config") || under(from, "internal")) && under(to, "pipeline"):
		return "config and internal packages are below the pipeline"
	case under(from, "config") && under(to, "reports"), under(from, "internal") && (under(to, "reports") || under(to, "config")):
		return "config and internal packages are below reports"
	}
	return ""
}

// TestPipelinePackagesStaySmall: the pipeline's root and each package under it hold one concern;
// past 1,500 lines of non-test code a package is doing more than one and is split.
func TestPipelinePackagesStaySmall(t *testing.T) {
	err := filepath.WalkDir("pipeline", func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() || d.Name() == "testdata" {
			return err
		}
		files, _ := filepath.Glob(filepath.Join(path, "*.go"))
		lines := 0
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			lines += bytes.Count(b, []byte("\n"))
		}
		if lines > 1500 {
			t.Errorf("%s has %d lines of non-test code; split it by concern (limit 1,500)", path, lines)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestForbiddenArrows checks the rules themselves on arrows the layout must refuse and allow.
func TestForbiddenArrows(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{"pipeline/schedule", "pipeline", false},
		{"pipeline/source/files", "pipeline/source", false},
		{"kpi", "config", false},
		{"pipeline/window", "config", false},
		{"reports", "pipeline/window", false},
		{"internal/atomicfile", "reports", false},
		{"config", "pipeline/ingest", false},
		{"pipeline/ingest", "cmd/journeykpi", false},
		{"pipeline/group", "pipeline", false},
		{"cmd/journeykpi", "pipeline", true},
		{"pipeline", "pipeline/group", true},
		{"pipeline/group", "pipeline/ingest", true},
		{"pipeline/ingest", "kpi", true},
		{"reports", "internal/atomicfile", true},
		{"pipeline/schedule", "pipeline/window", true},
	} {
		if got := forbidden(c.from, c.to) == ""; got != c.ok {
			t.Errorf("%s → %s allowed %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}
