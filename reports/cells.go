package reports

import "math"

func txt(s string) cell { return cell{v: s} }

func bold(s string) cell { return cell{v: s, look: look{bold: true}} }

func cnt(n int64) cell { return cell{v: n, look: look{numFmt: fmtCount}} }

// num renders a number. NaN and infinities have no cell form (and no JSON form); they are shown
// as n/a rather than written as a broken cell.
func num(v float64, format string) cell {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return na()
	}
	return cell{v: v, look: look{numFmt: format}}
}

// opt renders a nullable number; nil ("not defined") is shown as a grey "n/a", never as 0.
func opt(p *float64, format string) cell {
	if p == nil {
		return na()
	}
	return num(*p, format)
}

// optBlank renders a nullable number that feeds a chart: nil is left empty so the chart shows a
// gap instead of plotting text as 0.
func optBlank(p *float64, format string) cell {
	if p == nil {
		return cell{look: look{fill: colorNAFill}}
	}
	return num(*p, format)
}

func na() cell {
	return cell{v: "n/a", look: look{italic: true, font: colorNAFont, fill: colorNAFill, align: "center"}}
}

func yesNo(b bool) cell {
	if b {
		return txt("yes")
	}
	return txt("no")
}

// label turns a snake_case key into a readable label: "first_touch" → "First touch".
func label(key string) string {
	if key == "" {
		return key
	}
	b := []byte(key)
	for i := range b {
		if b[i] == '_' {
			b[i] = ' '
		}
	}
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b)
}

// qty renders a quantity that is often whole (attributed conversions: whole under first and last
// touch, fractional under the sharing models) as an integer when it is one.
func qty(v float64) cell {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return num(v, fmtCount)
	}
	return num(v, fmtNumber)
}
