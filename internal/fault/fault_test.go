package fault

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

type quality struct{}

func (quality) Error() string { return "too many rejected rows" }
func (quality) Kind() Kind    { return Data }

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want Kind
	}{
		{"plain", errors.New("boom"), Internal},
		{"wrapped config", fmt.Errorf("run: %w", Errorf(Config, "funnel.window: must be positive")), Config},
		{"another package's type", fmt.Errorf("read: %w", quality{}), Data},
		{"cancelled", fmt.Errorf("read: %w", context.Canceled), Interrupted},
		{"cancelled beats a failure", fmt.Errorf("%w: %w", context.Canceled, Errorf(Failed, "stream reset")), Interrupted},
		{"a config error beats cancellation", fmt.Errorf("%w: %w", context.Canceled, Errorf(Config, "bad key")), Config},
		{"failed", Wrap(Failed, errors.New("accessDenied")), Failed},
	} {
		if got := KindOf(tc.err); got != tc.want {
			t.Errorf("%s: KindOf = %d, want %d", tc.name, got, tc.want)
		}
	}
	if Wrap(Config, nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
}
