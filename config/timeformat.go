package config

import (
	"fmt"
	"strings"
	"time"
)

// strftime maps the strftime directives source.time_format accepts onto Go layout elements.
var strftime = map[byte]string{
	'Y': "2006", 'y': "06", 'm': "01", 'd': "02", 'e': "_2", 'j': "002",
	'H': "15", 'I': "03", 'M': "04", 'S': "05", 'p': "PM", 'f': "000000",
	'b': "Jan", 'h': "Jan", 'B': "January", 'a': "Mon", 'A': "Monday",
	'z': "-0700", 'Z': "MST", 'F': "2006-01-02", 'T': "15:04:05", '%': "%",
}

// TimeLayout returns source.time_format as a Go layout: a Go layout as it is, a strftime-like
// format ("%Y%m%d", "%d/%m/%Y %H:%M") translated; "" when none is set. An invalid format gives
// an error saying why.
func (s *Source) TimeLayout() (string, error) {
	f := s.TimeFormat
	if f == "" {
		return "", nil
	}
	layout := f
	if strings.Contains(f, "%") {
		var b strings.Builder
		for i := 0; i < len(f); i++ {
			if f[i] != '%' {
				b.WriteByte(f[i])
				continue
			}
			if i+1 == len(f) {
				return "", fmt.Errorf("%q ends with a lone %%", f)
			}
			el, ok := strftime[f[i+1]]
			if !ok {
				return "", fmt.Errorf("%q: %%%c is not a directive journeykpi knows (%%Y %%m %%d %%H %%M %%S %%f %%z %%b %%j …)", f, f[i+1])
			}
			if el == "000000" && b.Len() > 0 && !strings.HasSuffix(b.String(), ".") && !strings.HasSuffix(b.String(), ",") {
				return "", fmt.Errorf("%q: %%f must follow a '.' or ','", f)
			}
			b.WriteString(el)
			i++
		}
		layout = b.String()
	}
	// A layout must at least say the year, the month and the day: formatting Go's reference time
	// with it and reading that back gives the reference day.
	ref := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)
	t, err := time.Parse(layout, ref.Format(layout))
	if err != nil || t.Year() != 2006 || t.Month() != 1 || t.Day() != 2 {
		return "", fmt.Errorf("%q is not a time format with a year, month and day (a Go layout such as \"2006-01-02 15:04:05\" or \"20060102\", or strftime such as \"%%Y%%m%%d\")", f)
	}
	return layout, nil
}
