package main

import (
	"context"
	"fmt"
)

func cmdPlan(ctx context.Context, args []string, e env) error {
	return fmt.Errorf("plan: not wired yet")
}
