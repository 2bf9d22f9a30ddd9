package ingest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/internal/memsource"
)

func TestTimeFormat(t *testing.T) {
	at := func(s string) int64 {
		tt, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return tt.UnixMicro()
	}
	for _, c := range []struct {
		format, value string
		want          int64
	}{
		{"20060102", "20010101", at("2001-01-01 00:00")},
		{"%Y%m%d", "20010118", at("2001-01-18 00:00")},
		{"%d/%m/%Y %H:%M", "01/12/2010 08:26", at("2010-12-01 08:26")},
		{"02.01.2006", "31.12.2010", at("2010-12-31 00:00")},
		{"%Y-%m-%dT%H:%M:%S.%f", "2010-12-01T08:26:00.250000", at("2010-12-01 08:26") + 250000},
	} {
		cfg := testConfig(t)
		cfg.Source.TimeFormat = c.format
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		rows, _ := mapAll(t, cfg, memsource.CSV("customer_id,event_time,event_name\nc1,"+c.value+",page_view\n", 0))
		if len(rows) != 1 || rows[0].Ev.Time != c.want {
			t.Errorf("%s %s: rows %v, want time %d", c.format, c.value, rows, c.want)
		}
	}
	// With a format, a value that does not follow it is unparseable, not guessed.
	cfg := testConfig(t)
	cfg.Source.TimeFormat = "20060102"
	_, n := mapAll(t, cfg, memsource.CSV("customer_id,event_time,event_name\nc1,1997-01-01,page_view\n", 0))
	if q, _ := n.Quality(1); q.RejectedByReason[RejectTimeUnparseable] != 1 {
		t.Errorf("rejected %v", q.RejectedByReason)
	}
}

func TestBadTimeFormatIsAConfigError(t *testing.T) {
	for format, want := range map[string]string{
		"%Y%q":     "%q is not a directive",
		"15:04":    "is not a time format with a year, month and day",
		"yyyymmdd": "is not a time format",
		"%Y%m%d%":  "lone %",
	} {
		c := config.Default()
		c.Source.Files.Paths = []string{"a.csv"}
		c.Source.TimeFormat = format
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), "source.time_format: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v", format, err)
		}
	}
}

// Integers that cannot be epoch microseconds are refused naming the key that reads them right,
// instead of landing in January 1970 and giving an empty report.
func TestIntegerTimesInTheWrongUnitAreRefused(t *testing.T) {
	for _, c := range []struct {
		values []string
		want   string
	}{
		{[]string{"19970101", "19970112", "19980630"}, `source.time_format: "20060102"`},
		{[]string{"1772000000", "1772003600"}, "source.time_unit: s"},
		{[]string{"1772000000000", "1772003600123"}, "source.time_unit: ms"},
		{[]string{"1772000000000000000"}, "source.time_unit: ns"},
	} {
		csv := "customer_id,event_time,event_name\n"
		for _, v := range c.values {
			csv += "c1," + v + ",page_view\n"
		}
		_, _, err := mapAllErr(testConfig(t), memsource.CSV(csv, 0))
		var te *TimeUnitError
		if !errors.As(err, &te) || fault.KindOf(err) != fault.Config || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want a config error naming %s", c.values, err, c.want)
		}
	}
	// Microseconds are read as they are.
	rows, _ := mapAll(t, testConfig(t), memsource.CSV("customer_id,event_time,event_name\nc1,1772000000000000,page_view\n", 0))
	if len(rows) != 1 || rows[0].Ev.Time != 1772000000000000 {
		t.Errorf("micros: %v", rows)
	}
}

func TestTimeUnit(t *testing.T) {
	want := time.Date(2026, 2, 25, 6, 13, 20, 0, time.UTC).UnixMicro()
	for unit, value := range map[string]string{"s": "1772000000", "ms": "1772000000000", "us": "1772000000000000", "ns": "1772000000000000000"} {
		cfg := testConfig(t)
		cfg.Source.TimeUnit = unit
		rows, _ := mapAll(t, cfg, memsource.CSV("customer_id,event_time,event_name\nc1,"+value+",page_view\n", 0))
		if len(rows) != 1 || rows[0].Ev.Time != want {
			t.Errorf("%s %s: %v, want %d", unit, value, rows, want)
		}
	}
	c := config.Default()
	c.Source.Files.Paths = []string{"a.csv"}
	c.Source.TimeUnit = "sec"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `source.time_unit: "sec" is not a unit`) {
		t.Errorf("bad unit: %v", err)
	}
}
