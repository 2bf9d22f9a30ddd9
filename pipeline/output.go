package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/journeykpi/journeykpi/config"
)

// writeOutputs writes the report's files atomically and returns their paths.
func writeOutputs(ctx context.Context, out string, cfg *config.Config, job Job, o *Outcome, t *stepTimer) ([]string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	base := OutputBase(out, cfg.Report.Name, job.Window)
	b, err := json.MarshalIndent(o.Result, "", "  ")
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(base), ".tmp-*")
	if err != nil {
		return nil, err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	tmp.Close()
	if err := os.Rename(tmp.Name(), base+".json"); err != nil {
		return nil, err
	}
	return []string{base + ".json"}, nil
}
