package pipeline

import (
	"time"

	"github.com/journeykpi/journeykpi/config"
)

// DefaultWindow is the window `run` reports without dates: the schedule period before now.
func DefaultWindow(cfg config.Config, now time.Time) (Window, error) {
	loc := cfg.Location()
	d := now.In(loc).AddDate(0, 0, -1)
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	return Window{From: day, To: day}, nil
}
