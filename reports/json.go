package reports

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/journeykpi/journeykpi/internal/atomicfile"
	"github.com/journeykpi/journeykpi/kpi"
)

// WriteJSON writes r as indented JSON (the documented interface of SPEC §5) atomically to path.
// Keys come in a stable order: struct fields in declaration order, map keys sorted.
func WriteJSON(path string, r *kpi.Result) error {
	if r == nil {
		return fmt.Errorf("reports: json %s: no result", path)
	}
	return atomicfile.Write(path, func(w io.Writer) error { return encodeJSON(w, r) })
}

// EncodeJSON writes r as WriteJSON does, to w: for a caller that commits several files together.
func EncodeJSON(w io.Writer, r *kpi.Result) error {
	if r == nil {
		return fmt.Errorf("reports: json: no result")
	}
	return encodeJSON(w, r)
}

func encodeJSON(w io.Writer, r *kpi.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Touchpoint names and sentences stay readable ("→", "&") instead of \u escapes.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(worded(r)); err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	return nil
}
