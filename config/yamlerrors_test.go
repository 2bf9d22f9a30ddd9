package config

import (
	"strings"
	"testing"
)

// Decoding problems say in plain words what was expected, and name their key.
func TestTypeErrorsInPlainWords(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"funnel: {top: ten}", `funnel.top: expected a whole number, got the text "ten" (line 1)`},
		{"quality: {max_reject_ratio: lots}", `quality.max_reject_ratio: expected a number, got the text "lots" (line 1)`},
		{"funnel: {breakdowns: segment}", `funnel.breakdowns: expected a list, as in [a, b], got the text "segment" (line 1)`},
		{"stages: {name: a}", "stages: expected a list of stages, got a mapping (line 1)"},
		{"report: {name: [a, b]}", "report.name: expected a single value (text), got a list (line 1)"},
		{"source: {files: {paths: [a.csv]}, derive: [a]}", "source.derive: expected a mapping of names to values, as in {a: x, b: y}, got a list (line 1)"},
		{"schedule: {catch_up: 2.5}", "schedule.catch_up: expected a whole number, got 2.5 (line 1)"},
		{"allocation: {close_gap: .nan}", "allocation.close_gap: .nan is not a number a report can use (line 1)"},
		{"quality: {max_reject_ratio: .inf}", "quality.max_reject_ratio: .inf is not a number a report can use (line 1)"},
	} {
		_, err := Parse(strings.NewReader(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.yaml, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "!!") {
			t.Errorf("%s: %v speaks YAML tags", c.yaml, err)
		}
	}
	// A key that did not decode is not reported again by validation.
	_, err := Parse(strings.NewReader("source: {files: {paths: a.csv}}"))
	if err == nil || strings.Count(err.Error(), "source.files.paths") != 1 {
		t.Errorf("one problem for one key: %v", err)
	}
}

// A key given twice names both lines and nothing else.
func TestDuplicateKeysNameBothLines(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"source:\n  kind: files\n  files: {paths: [a.csv]}\nreport: {name: r}\nsource:\n  kind: files\n", "source: the key is given twice, on lines 1 and 5; keep one"},
		{"source: {files: {paths: [a.csv]}}\nreport:\n  name: a\n  name: b\n", "report.name: the key is given twice, on lines 3 and 4; keep one"},
	} {
		_, err := Parse(strings.NewReader(c.yaml))
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %q", c.yaml, err, c.want)
		}
	}
}

// Every number of the config is checked for finiteness and range, each problem naming its key,
// whether it comes from YAML or from code.
func TestNumbersInRange(t *testing.T) {
	nan := func() float64 { z := 0.0; return z / z }()
	for _, c := range []struct {
		name string
		set  func(*Config)
		want string
	}{
		{"NaN reject ratio", func(c *Config) { c.Quality.MaxRejectRatio = nan }, "quality.max_reject_ratio: NaN must be a fraction in [0, 1]"},
		{"NaN max shift", func(c *Config) { c.Allocation.MaxShift = nan }, "allocation.max_shift: NaN must be a fraction"},
		{"NaN close_gap", func(c *Config) { c.Allocation.CloseGap = nan }, "allocation.close_gap: NaN must be a fraction"},
		{"NaN margin", func(c *Config) { c.Allocation.Margin = nan }, "allocation.margin: NaN must be a gross margin"},
		{"a million workers", func(c *Config) { c.Engine.Workers = 1_000_000 }, "engine.workers: 1000000 is more than 256"},
		{"negative workers", func(c *Config) { c.Engine.Workers = -1 }, "engine.workers: must not be negative"},
		{"a century of history", func(c *Config) { c.Repeat.History = Duration(36500 * 24 * 3600e9) }, "repeat.history: 36500d is longer than 3660d (ten years)"},
		{"a negative window", func(c *Config) { c.Funnel.Window = -1 }, "funnel.window: must be positive"},
		{"top of a billion", func(c *Config) { c.Funnel.Top = 1e9 }, "funnel.top: 1000000000 is more than 1000"},
		{"catch up forever", func(c *Config) { c.Schedule.CatchUp = 1e6 }, "schedule.catch_up: 1000000 is more than 366"},
		{"stage within a century", func(c *Config) { c.Stages[6].Within = Duration(36500 * 24 * 3600e9) }, "stages[6].within: 36500d is longer than 3660d"},
	} {
		cfg := Default()
		cfg.Source.Files.Paths = []string{"a.csv"}
		c.set(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
