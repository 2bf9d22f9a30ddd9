package reports

import (
	"strings"

	"github.com/xuri/excelize/v2"
)

// Number formats. Fractions stay 0..1 in the cells (as in the JSON); the format shows percent.
const (
	fmtCount     = "#,##0"
	fmtInt       = "0"
	fmtPercent   = "0.0%"
	fmtNumber    = "#,##0.00"
	fmtHours     = "#,##0.0"
	fmtSentiment = "+0.00;-0.00;0.00"
	fmtParam     = "0.0000"
	fmtRatio     = `0.00"×"`
	fmtPValue    = "0.0000"
	// Changes carry an arrow as well as a colour, so they read in black and white too.
	fmtChangeCount   = `"▲ "+#,##0;"▼ "-#,##0;0`
	fmtChangePercent = `"▲ "+0.0%;"▼ "-0.0%;0.0%`
	fmtChangeNumber  = `"▲ "+#,##0.00;"▼ "-#,##0.00;0.00`
	// Money formats depend on the report currency; the styles resolve these placeholders.
	fmtMoney       = "{money}"
	fmtChangeMoney = "{money change}"
	// fmtMoneyWhole is money in whole units, for a large amount in a KPI card.
	fmtMoneyWhole = "{money whole}"
)

// Colours of the workbook.
const (
	colorHeaderFill = "1F4E78"
	colorHeaderFont = "FFFFFF"
	colorTitle      = "1F4E78"
	colorNote       = "595959"
	colorNAFont     = "808080"
	colorNAFill     = "EDEDED"
	colorGoodFont   = "1E6B30"
	colorGoodFill   = "E2F0D9"
	colorBadFont    = "9C0006"
	colorBadFill    = "FBE2E2"
	colorSection    = "1F4E78"
)

// look is everything that decides a cell's style; the styles cache turns it into an excelize
// style id, created on first use so ids come out in the same order on every run.
type look struct {
	numFmt  string
	bold    bool
	italic  bool
	size    float64
	font    string // font colour
	fill    string
	wrap    bool
	align   string // horizontal alignment
	valign  string
	mono    bool
	indent  bool // text right after a right-aligned number gets a little room
	header  bool
	section bool
}

type styles struct {
	f        *excelize.File
	ids      map[look]int
	money    string // number format for money in the report currency
	moneyChg string
	whole    string // the same in whole units
}

func newStyles(f *excelize.File, currency string) *styles {
	m := moneyFormat(currency)
	return &styles{f: f, ids: map[look]int{}, money: m, moneyChg: `"▲ "+` + m + `;"▼ "-` + m + `;` + m,
		whole: strings.Replace(m, "#,##0.00", "#,##0", 1)}
}

// moneyFormat is the number format for amounts in an ISO 4217 currency: a symbol for the common
// ones, the code itself otherwise, a plain number when the code is missing or malformed.
func moneyFormat(currency string) string {
	c := strings.ToUpper(strings.TrimSpace(currency))
	switch c {
	case "USD":
		return `"$"#,##0.00`
	case "EUR":
		return `"€"#,##0.00`
	case "GBP":
		return `"£"#,##0.00`
	case "JPY":
		return `"¥"#,##0`
	}
	if len(c) != 3 {
		return fmtNumber
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return fmtNumber
		}
	}
	return `#,##0.00" ` + c + `"`
}

func (s *styles) id(l look) (int, error) {
	if l == (look{}) {
		return 0, nil
	}
	if id, ok := s.ids[l]; ok {
		return id, nil
	}
	st := &excelize.Style{}
	font := &excelize.Font{Bold: l.bold, Italic: l.italic, Size: l.size, Color: l.font}
	if l.mono {
		font.Family = "Courier New"
	}
	if l.header {
		font.Bold, font.Color = true, colorHeaderFont
		st.Fill = solid(colorHeaderFill)
	}
	if l.section {
		font.Bold, font.Color = true, colorSection
		if font.Size == 0 {
			font.Size = 12
		}
		st.Border = []excelize.Border{{Type: "bottom", Color: colorSection, Style: 1}}
	}
	if *font != (excelize.Font{}) {
		st.Font = font
	}
	if l.fill != "" {
		st.Fill = solid(l.fill)
	}
	if l.wrap || l.align != "" || l.valign != "" || l.header || l.indent {
		st.Alignment = &excelize.Alignment{WrapText: l.wrap || l.header, Horizontal: l.align, Vertical: l.valign}
		if l.indent {
			st.Alignment.Indent = 1
			if st.Alignment.Horizontal == "" {
				st.Alignment.Horizontal = "left"
			}
		}
		if l.header && l.valign == "" {
			st.Alignment.Vertical = "center"
		}
	}
	if l.numFmt != "" {
		nf := l.numFmt
		switch nf {
		case fmtMoney:
			nf = s.money
		case fmtChangeMoney:
			nf = s.moneyChg
		case fmtMoneyWhole:
			nf = s.whole
		}
		st.CustomNumFmt = &nf
	}
	id, err := s.f.NewStyle(st)
	if err != nil {
		return 0, err
	}
	s.ids[l] = id
	return id, nil
}
