package group

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SpillPrefix starts the name of a spill file in the temporary directory (engine.temp_dir): a
// file that lives only while unlinked, so no listing shows it for more than an instant.
const SpillPrefix = "journeykpi-spill-"

// StaleSpillAge is how long a spill directory of an earlier version must have been left alone
// before RemoveStaleSpill takes it: those versions kept spill files in a directory that a killed
// process left behind, and one still running would write into its directory more often.
const StaleSpillAge = 24 * time.Hour

// RemoveStaleSpill removes from tempDir ("" means the system's) what killed processes of earlier
// versions left: spill directories ("journeykpi-spill-*") not modified for StaleSpillAge, and
// spill files (which this version unlinks at once, so one found there was left by a kill between
// its creation and unlinking) older than that. It returns how many it removed; a missing
// tempDir has none.
func RemoveStaleSpill(tempDir string, now time.Time) (int, error) {
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	es, err := os.ReadDir(tempDir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range es {
		if !strings.HasPrefix(e.Name(), SpillPrefix) {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < StaleSpillAge {
			continue
		}
		if err := os.RemoveAll(filepath.Join(tempDir, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
