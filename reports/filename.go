package reports

import (
	"strings"
	"unicode"
)

// FileBase returns the base name of a report's files, `<name>_<from>_<to>`, with every part
// sanitised for file systems: only letters, digits, '.', '-' and '_' are kept (anything else
// becomes '_'), no part starts with a dot, and an empty name becomes "report".
func FileBase(name, from, to string) string {
	n := sanitizePart(name, 100)
	if n == "" {
		n = "report"
	}
	parts := []string{n}
	for _, p := range []string{from, to} {
		if s := sanitizePart(p, 40); s != "" {
			parts = append(parts, s)
		}
	}
	base := strings.Join(parts, "_")
	if reservedWindowsName(n) {
		base = "_" + base
	}
	return base
}

// sanitizePart keeps ASCII letters, digits, '.', '-' and '_', replaces runs of anything else by
// one '_', trims leading dots and separators and caps the length.
func sanitizePart(s string, max int) string {
	var b strings.Builder
	lastUnderscore := false
	for _, r := range s {
		ok := r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_')
		if !ok {
			r = '_'
		}
		if r == '_' && lastUnderscore {
			continue
		}
		lastUnderscore = r == '_'
		b.WriteRune(r)
	}
	out := strings.TrimLeft(b.String(), "._-")
	out = strings.TrimRight(out, "._")
	if len(out) > max {
		out = strings.TrimRight(out[:max], "._")
	}
	return out
}

func reservedWindowsName(s string) bool {
	u := strings.ToUpper(s)
	if i := strings.IndexByte(u, '.'); i >= 0 {
		u = u[:i]
	}
	switch u {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	if len(u) == 4 && (strings.HasPrefix(u, "COM") || strings.HasPrefix(u, "LPT")) && u[3] >= '1' && u[3] <= '9' {
		return true
	}
	return false
}
