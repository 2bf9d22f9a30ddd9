package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/atomicfile"
	"github.com/journeykpi/journeykpi/pipeline"
	"github.com/journeykpi/journeykpi/pipeline/schedule"
)

// outputState is what a reader that trusts the manifests finds in an output directory.
type outputState struct {
	// mismatched are the reports whose files do not match their manifest; inFlight those of them
	// with a commit journal beside them (a commit the next start finishes).
	mismatched, inFlight []string
	temps, journals      []string
	reports              int
}

// readOutput checks every manifest in dir against the files it names (size and SHA-256).
func readOutput(t *testing.T, dir string) outputState {
	t.Helper()
	var st outputState
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		switch name := e.Name(); {
		case atomicfile.IsTemp(name):
			st.temps = append(st.temps, name)
		case atomicfile.IsJournal(name):
			st.journals = append(st.journals, name)
		case strings.HasSuffix(name, pipeline.ManifestSuffix):
			st.reports++
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			var m pipeline.Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%s is not a complete manifest: %v", name, err)
			}
			ok := len(m.Files) == 2
			for _, f := range m.Files {
				b, err := os.ReadFile(filepath.Join(dir, f.Name))
				sum := sha256.Sum256(b)
				if err != nil || int64(len(b)) != f.Bytes || hex.EncodeToString(sum[:]) != f.SHA256 {
					ok = false
				}
			}
			if !ok {
				st.mismatched = append(st.mismatched, name)
				if _, err := os.Stat(filepath.Join(dir, "."+name+".commit")); err == nil {
					st.inFlight = append(st.inFlight, name)
				}
			}
		}
	}
	return st
}

// checkOutput fails unless every report in dir matches its manifest and nothing else is left:
// no temporary file, no unfinished commit.
func checkOutput(t *testing.T, dir string) {
	t.Helper()
	st := readOutput(t, dir)
	if len(st.mismatched) > 0 || len(st.temps) > 0 || len(st.journals) > 0 {
		t.Errorf("%s: reports not matching their manifest %v, temporary files %v, unfinished commits %v", dir, st.mismatched, st.temps, st.journals)
	}
}

// smallSample writes a small synthetic sample and a config reading it into dir, spilling into
// dir/tmp; it returns the config's path.
func smallSample(t *testing.T, dir string, customers int) string {
	t.Helper()
	data := filepath.Join(dir, "data")
	if out, err := exec.Command(binary(t), "sample", "--customers", itoa(customers), "--out", data, "--seed", "3").CombinedOutput(); err != nil {
		t.Fatalf("sample: %v\n%s", err, out)
	}
	y := string(config.ExampleYAML())
	y = strings.ReplaceAll(y, `"testdata/sample/`, `"`+data+"/")
	y += "engine: {temp_dir: " + filepath.Join(dir, "tmp") + "}\n"
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestSIGKILLAtRandomMoments kills runs and backfills over one output with SIGKILL at moments
// drawn from a seeded PCG over their measured duration, and checks after every kill that a
// reader trusting the manifests never meets a mixed pair (any report that does not match its
// manifest has a commit in flight, which the next start finishes), and that no spill file is
// left; every few kills a complete run must find and leave the directory in order.
func TestSIGKILLAtRandomMoments(t *testing.T) {
	dir := t.TempDir()
	cfg := smallSample(t, dir, 300)
	out := filepath.Join(dir, "out")
	runArgs := []string{"run", "--config", cfg, "--out", out, "--date", "2026-03-10"}
	bfArgs := []string{"backfill", "--config", cfg, "--out", out, "--from", "2026-03-09", "--to", "2026-03-10", "--force"}
	measure := func(args []string) time.Duration {
		t0 := time.Now()
		if code := start(t, nil, args...).wait(t, 60*time.Second); code != exitOK {
			t.Fatalf("%v: exit %d", args, code)
		}
		return time.Since(t0)
	}
	durations := map[string]time.Duration{"run": measure(runArgs), "backfill": measure(bfArgs)}
	checkOutput(t, out)

	const kills = 36
	rng := rand.New(rand.NewPCG(2026, 17))
	var inFlight, withTemps, exited int
	for i := range kills {
		args := runArgs
		if i%2 == 1 {
			args = bfArgs
		}
		// Over the measured duration, a little past it: a few kills land after the commit.
		delay := time.Duration(rng.Float64() * 1.05 * float64(durations[args[0]]))
		p := start(t, nil, args...)
		time.Sleep(delay)
		if p.cmd.Process.Signal(syscall.SIGKILL) != nil {
			exited++
		}
		p.wait(t, 30*time.Second)
		st := readOutput(t, out)
		if len(st.inFlight) != len(st.mismatched) {
			t.Fatalf("kill %d (%s after %s): reports mixed without a commit in flight: %v", i, args[0], delay, st.mismatched)
		}
		if len(st.inFlight) > 0 {
			inFlight++
		}
		if len(st.temps) > 0 {
			withTemps++
		}
		if es, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(es) != 0 {
			t.Fatalf("kill %d: spill files left: %v", i, es)
		}
		if i%12 == 11 {
			if code := start(t, nil, runArgs...).wait(t, 60*time.Second); code != exitOK {
				t.Fatalf("run after kill %d: exit %d", i, code)
			}
			checkOutput(t, out)
		}
	}
	// A backfill after the last kill: every report matches, nothing is left, no run is still
	// "running" in the ledger.
	if code := start(t, nil, bfArgs...).wait(t, 60*time.Second); code != exitOK {
		t.Fatalf("final backfill: exit %d", code)
	}
	checkOutput(t, out)
	if st := readOutput(t, out); st.reports != 2 {
		t.Errorf("%d reports, want 2", st.reports)
	}
	for _, e := range ledgerEntries(t, out) {
		if e.Outcome == schedule.OutcomeRunning {
			t.Errorf("ledger still has a running entry: %+v", e)
		}
	}
	t.Logf("%d SIGKILLs (run %s, backfill %s measured): %d left a commit in flight, %d left temporary files, %d came after the process had exited",
		kills, durations["run"].Round(time.Millisecond), durations["backfill"].Round(time.Millisecond), inFlight, withTemps, exited)
}
