package main

import (
	"context"
	"fmt"
)

func cmdSample(ctx context.Context, args []string, e env) error {
	return fmt.Errorf("sample: not wired yet")
}
