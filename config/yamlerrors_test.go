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
		{"allocation: {uplift: .nan}", "allocation.uplift: .nan is not a number a report can use (line 1)"},
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
