package main

import (
	"context"
	"fmt"
)

func cmdSchedule(ctx context.Context, args []string, e env) error {
	return fmt.Errorf("schedule: not wired yet")
}
