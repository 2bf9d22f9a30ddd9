package schedule

import (
	"testing"
	"time"
)

func loc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCronNextAcrossDST(t *testing.T) {
	berlin := loc(t, "Europe/Berlin")
	tests := []struct {
		name  string
		spec  string
		zone  *time.Location
		after time.Time
		want  []string // UTC fire times
	}{
		{"03:00 across spring forward", "0 3 * * *", berlin, time.Date(2024, 3, 29, 12, 0, 0, 0, berlin),
			[]string{"2024-03-30T02:00:00Z", "2024-03-31T01:00:00Z", "2024-04-01T01:00:00Z"}},
		{"03:00 across fall back", "0 3 * * *", berlin, time.Date(2024, 10, 25, 12, 0, 0, 0, berlin),
			[]string{"2024-10-26T01:00:00Z", "2024-10-27T02:00:00Z", "2024-10-28T02:00:00Z"}},
		// 02:30 does not exist on 31 March in Berlin: that day has no run.
		{"02:30 on the skipped hour", "30 2 * * *", berlin, time.Date(2024, 3, 29, 12, 0, 0, 0, berlin),
			[]string{"2024-03-30T01:30:00Z", "2024-04-01T00:30:00Z", "2024-04-02T00:30:00Z"}},
		// 02:30 happens twice on 27 October: one run, at the first.
		{"02:30 on the repeated hour", "30 2 * * *", berlin, time.Date(2024, 10, 26, 12, 0, 0, 0, berlin),
			[]string{"2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"}},
		// CRON_TZ overrides the report time zone.
		{"CRON_TZ", "CRON_TZ=America/New_York 0 3 * * *", berlin, time.Date(2024, 3, 9, 12, 0, 0, 0, time.UTC),
			[]string{"2024-03-10T07:00:00Z", "2024-03-11T07:00:00Z"}},
		{"descriptor", "@daily", time.UTC, time.Date(2024, 3, 9, 12, 0, 0, 0, time.UTC),
			[]string{"2024-03-10T00:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCron(tt.spec, tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			at := tt.after
			for i, want := range tt.want {
				at = c.Next(at)
				if got := at.UTC().Format(time.RFC3339); got != want {
					t.Fatalf("fire %d: got %s, want %s", i, got, want)
				}
			}
		})
	}
	if _, err := ParseCron("61 * * * *", time.UTC); err == nil {
		t.Error("bad cron accepted")
	}
}

func TestCronBetween(t *testing.T) {
	c, err := ParseCron("0 3 * * *", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2024, 3, 1, 3, 0, 0, 0, time.UTC)
	got := c.Between(from, time.Date(2024, 3, 11, 2, 0, 0, 0, time.UTC), 3)
	want := []string{"2024-03-08T03:00:00Z", "2024-03-09T03:00:00Z", "2024-03-10T03:00:00Z"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i].UTC().Format(time.RFC3339) != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
	if n := len(c.Between(from, from.AddDate(0, 0, 5), 0)); n != 0 {
		t.Errorf("max 0 gave %d", n)
	}
}
