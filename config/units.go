package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time span written in YAML as "30d", "12h", "90m" or any Go duration. Days are
// calendar-free 24-hour days, which is what the KPI windows mean.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ParseDuration accepts Go durations plus a "d" (day) and "w" (week) suffix.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			f, err := strconv.ParseFloat(n, 64)
			// NaN, infinities and spans beyond ±292 years have no time.Duration: converting
			// them would wrap to a nonsense value.
			if err != nil || math.IsNaN(f) || math.Abs(f*float64(unit)) >= math.MaxInt64 {
				return 0, fmt.Errorf("%q is not a duration", s)
			}
			return Duration(f * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (use 30d, 12h, 90m)", s)
	}
	return Duration(d), nil
}

// String writes whole days as "Nd", anything else as a Go duration.
func (d Duration) String() string {
	day := 24 * time.Hour
	if d != 0 && time.Duration(d)%day == 0 {
		return fmt.Sprintf("%dd", time.Duration(d)/day)
	}
	return time.Duration(d).String()
}

// UnmarshalYAML implements yaml.Unmarshaler. A bad value is a *yaml.TypeError, so decoding goes
// on and every problem of the file is reported at once.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return unitError(n, err)
	}
	*d = v
	return nil
}

// unitError reports a value that does not parse, with the line and column that config.Parse
// turns into the key path.
func unitError(n *yaml.Node, err error) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d, column %d: %v", n.Line, n.Column, err)}}
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// ByteSize is a number of bytes written as "10GB", "512MiB" or a plain integer.
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// ParseByteSize parses "10GB" (decimal), "512MiB" (binary) or a plain number of bytes.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			// A whole number of units is multiplied exactly: through a float64, sizes above 2^53
			// bytes would come back a few bytes off.
			if i, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64); err == nil {
				if i < 0 || i > math.MaxInt64/u.mult {
					return 0, fmt.Errorf("%q is not a byte size (use 10GB or 512MiB)", s)
				}
				return ByteSize(i * u.mult), nil
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
			if err != nil || !(f >= 0) || f*float64(u.mult) >= math.MaxInt64 {
				return 0, fmt.Errorf("%q is not a byte size (use 10GB or 512MiB)", s)
			}
			return ByteSize(f * float64(u.mult)), nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a byte size (use 10GB or 512MiB)", s)
	}
	return ByteSize(n), nil
}

// String writes the size in the unit, decimal or binary, that gives the smallest whole number,
// so a configured "10GB" reads back as 10GB rather than 9765625KiB. (Two units never tie: no
// two of them are equal.) A size no unit divides is a plain number.
func (b ByteSize) String() string {
	n, unit, q := int64(b), "", int64(b)
	for _, u := range byteUnits {
		if u.mult > 1 && n != 0 && n%u.mult == 0 && (unit == "" || n/u.mult < q) {
			unit, q = u.suffix, n/u.mult
		}
	}
	return strconv.FormatInt(q, 10) + unit
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return unitError(n, err)
	}
	*b = v
	return nil
}

// MarshalYAML implements yaml.Marshaler. A size without a unit is written as a plain number,
// not as the quoted string "0".
func (b ByteSize) MarshalYAML() (any, error) {
	s := b.String()
	if s == strconv.FormatInt(int64(b), 10) {
		return int64(b), nil
	}
	return s, nil
}
