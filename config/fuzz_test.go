package config

import (
	"bytes"
	"testing"
)

// FuzzParse: any bytes as a config file load or fail with an error, never a panic; a config that
// loads marshals and loads again.
func FuzzParse(f *testing.F) {
	f.Add(ExampleYAML())
	f.Add([]byte("source: {kind: bigquery, preset: ga4, bigquery: {project: p, table: p.d.events_*}}\n"))
	f.Add([]byte("stages:\n  - {name: a, events: [x]}\n  - {name: b, events: [y], within: 3x}\n"))
	f.Add([]byte("engine: {memory_budget: 1TB}\nschedule: {cron: '0 3 * * *', grace_period: 1w}\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		y, err := c.Marshal()
		if err != nil {
			t.Fatalf("a loaded config does not marshal: %v", err)
		}
		// The webhook is redacted by Marshal, so the round trip may change it; everything else loads.
		if _, err := Parse(bytes.NewReader(y)); err != nil && c.Schedule.Webhook == "" {
			t.Fatalf("a marshalled config does not load again: %v\n%s", err, y)
		}
	})
}

// FuzzParseDuration: a duration parses or fails; one that parses prints as text that parses to
// the same value.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30d", "1w", "12h", "90m", "1.5d", "-3d", "1e300d", "NaNd", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("%q → %v → %q → %v, %v", s, int64(d), d.String(), int64(back), err)
		}
	})
}

// FuzzParseByteSize: a byte size parses or fails, never negative; one that parses prints as text
// that parses to the same value.
func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"10GB", "512MiB", "0", "1.5KiB", "-1B", "1e30TB", "NaNGB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseByteSize(s)
		if err != nil {
			return
		}
		if b < 0 {
			t.Fatalf("%q → %d", s, b)
		}
		back, err := ParseByteSize(b.String())
		if err != nil || back != b {
			t.Fatalf("%q → %d → %q → %d, %v", s, b, b.String(), back, err)
		}
	})
}
