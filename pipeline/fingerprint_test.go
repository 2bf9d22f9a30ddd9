package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// TestConfigHashLeavesOutHowWhenAndWhere: engine.*, schedule.* and the output paths do not
// change the hash; anything a report depends on does.
func TestConfigHashLeavesOutHowWhenAndWhere(t *testing.T) {
	base := config.Default()
	h := ConfigHash(&base)
	same := []func(*config.Config){
		func(c *config.Config) {
			c.Engine.Workers = 7
			c.Engine.MemoryBudget = 1 << 20
			c.Engine.TempDir = "/scratch"
		},
		func(c *config.Config) {
			c.Schedule.Cron = "0 5 * * *"
			c.Schedule.RecomputeDays = 9
			c.Schedule.Webhook = "https://x/y"
		},
		func(c *config.Config) {
			c.Report.Out = "/elsewhere"
			c.Report.From, c.Report.To = "2026-01-01", "2026-01-31"
		},
		func(c *config.Config) { c.Origin = "/etc/journeykpi/config.yaml" },
	}
	for i, mod := range same {
		c := config.Default()
		mod(&c)
		if got := ConfigHash(&c); got != h {
			t.Errorf("change %d changed the hash", i)
		}
	}
	changed := []func(*config.Config){
		func(c *config.Config) { c.Stages = c.Stages[:3] },
		func(c *config.Config) { c.Report.Timezone = "Europe/Berlin" },
		func(c *config.Config) { c.Report.Name = "other" },
		func(c *config.Config) { c.Funnel.Window = config.Duration(7 * 24 * time.Hour) },
	}
	for i, mod := range changed {
		c := config.Default()
		mod(&c)
		if got := ConfigHash(&c); got == h {
			t.Errorf("change %d left the hash as it was", i)
		}
	}
}

// TestFingerprintOfFiles: the same files give the same fingerprint; a rewritten, touched, added
// or removed file changes it.
func TestFingerprintOfFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.csv")
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(a, "customer_id,event_time,event_name\n1,2026-03-01T10:00:00Z,page_view\n")
	cfg := config.Default()
	cfg.Source.Files.Paths = []string{filepath.Join(dir, "*.csv")}
	w, _ := window.Day("2026-03-01", time.UTC)
	job := Job{Config: cfg, Window: w}
	fp := func() string {
		t.Helper()
		s, err := Fingerprint(context.Background(), job)
		if err != nil || s == "" {
			t.Fatalf("fingerprint %q, %v", s, err)
		}
		return s
	}
	f1 := fp()
	if f := fp(); f != f1 {
		t.Fatalf("same files: %s then %s", f1, f)
	}
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(a, old, old)
	f2 := fp()
	if f2 == f1 {
		t.Error("a touched file left the fingerprint as it was")
	}
	write(a, "customer_id,event_time,event_name\n2,2026-03-01T10:00:00Z,page_view\n")
	os.Chtimes(a, old, old) // same size, same time: the content hash tells
	if f := fp(); f == f2 {
		t.Error("a rewritten file of the same size and time left the fingerprint as it was")
	}
	f3 := fp()
	write(filepath.Join(dir, "b.csv"), "customer_id,event_time,event_name\n")
	if f := fp(); f == f3 {
		t.Error("an added file left the fingerprint as it was")
	}
}
