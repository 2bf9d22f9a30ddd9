package pipeline

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/internal/memsource"
	"github.com/journeykpi/journeykpi/pipeline/window"
)

// staleSource is an in-memory source whose data reach only the day before `through`.
type staleSource struct {
	*memsource.Source
	through time.Time
	asked   time.Time
}

func (s *staleSource) Fresh(ctx context.Context, last time.Time) (bool, string, error) {
	s.asked = last
	return !last.After(s.through), "the latest event is on " + s.through.Format(time.DateOnly), nil
}

// TestFreshnessPolicies: a scheduled report whose source does not reach the period's last day is
// made with a warning (warn), not made and left for a later run (wait), or failed (fail); a fresh
// source, or a run that does not ask, reads as usual.
func TestFreshnessPolicies(t *testing.T) {
	csv := `
customer_id,event_time,event_name
c1,2026-03-01T10:00:00Z,page_view
c2,2026-03-02T11:00:00Z,purchase
`
	w, _ := window.Parse("2026-03-01", "2026-03-03", time.UTC)
	for _, c := range []struct {
		policy  string
		through string
		check   bool
		wantErr bool
		warn    bool
	}{
		{"warn", "2026-03-02", true, false, true},
		{"wait", "2026-03-02", true, true, false},
		{"fail", "2026-03-02", true, true, false},
		{"fail", "2026-03-03", true, false, false},
		{"fail", "2026-03-02", false, false, false},
	} {
		cfg := testConfig(t)
		cfg.Source.Kind = "bigquery"
		cfg.Source.BigQuery.Freshness = c.policy
		through, _ := time.Parse(time.DateOnly, c.through)
		src := &staleSource{Source: memsource.CSV(csv, 0), through: through}
		out := t.TempDir()
		o, err := Run(context.Background(), Job{Config: cfg, Window: w, Out: out, Source: src, CheckFreshness: c.check})
		name := c.policy + " through " + c.through
		if c.wantErr {
			if !errors.Is(err, ErrNotFresh) || fault.KindOf(err) != fault.Data || !strings.Contains(err.Error(), "2026-03-03") {
				t.Errorf("%s: err %v, want ErrNotFresh naming the day", name, err)
			}
			if es, _ := os.ReadDir(out); len(es) != 0 {
				t.Errorf("%s: wrote %d files", name, len(es))
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		warned := false
		for _, w := range o.Result.Warnings {
			warned = warned || w.Code == SourceNotFresh
		}
		if warned != c.warn {
			t.Errorf("%s: warned %v, want %v (%v)", name, warned, c.warn, o.Result.Warnings)
		}
		if c.check && !src.asked.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: asked about %v, want the period's last day", name, src.asked)
		}
	}
}
