package main

import (
	"context"
	"fmt"
)

func cmdBackfill(ctx context.Context, args []string, e env) error {
	return fmt.Errorf("backfill: not wired yet")
}
