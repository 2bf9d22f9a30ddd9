package reports

import (
	"sort"

	"github.com/journeykpi/journeykpi/kpi"
)

// qualitySheet says what was read, used and rejected.
func qualitySheet(r *kpi.Result) *sheet {
	s := newSheet(sheetQuality)
	dq := r.DataQuality
	s.title("Data quality")
	s.note(periodLine(r))
	s.note("Rows that break the data contract are rejected and counted by reason, never dropped silently.")
	s.blank()
	measures := [][]cell{
		{txt("Rows read"), cnt(dq.RowsRead)},
		{txt("Rows rejected"), cnt(dq.RowsRejected)},
	}
	// Rows the source leaves out by design are counted apart from the rejected ones.
	leftOut := make([]string, 0, len(dq.LeftOut))
	for k := range dq.LeftOut {
		leftOut = append(leftOut, k)
	}
	sort.Strings(leftOut)
	for _, k := range leftOut {
		label := "Rows the source left out: " + k
		if k == "no_client_id" {
			label = "Rows without a client id left out by the source (GA4 consent mode)"
		}
		measures = append(measures, []cell{txt(label), cnt(dq.LeftOut[k])})
	}
	hdr, _ := s.table("DataQuality", []string{"Measure", "Rows"}, append(measures, [][]cell{
		{txt("Exact duplicate rows (counted once)"), cnt(dq.Duplicates)},
		{txt("Purchase events repeating an order_id"), cnt(dq.DuplicateOrderEvents)},
		{txt("Rows outside the range the report needs"), cnt(dq.RowsOutsideRange)},
		{txt("Rows used"), cnt(dq.RowsUsed)},
		{txt("Customers"), cnt(dq.Customers)},
		{txt("Events matching no stage (kept as touches)"), cnt(dq.Unmatched)},
		{txt("Spend rows read"), cnt(dq.SpendRows)},
		{txt("Spend rows rejected"), cnt(dq.SpendRejected)},
	}...))
	s.freezeBelow(hdr)
	s.blank()
	s.section("Rejected rows by reason")
	if len(dq.RejectedByReason) == 0 {
		s.note("No row was rejected.")
		return s
	}
	reasons := make([]string, 0, len(dq.RejectedByReason))
	for k := range dq.RejectedByReason {
		reasons = append(reasons, k)
	}
	// Most frequent first; ties by name so the order never depends on the map.
	sort.Slice(reasons, func(i, j int) bool {
		a, b := dq.RejectedByReason[reasons[i]], dq.RejectedByReason[reasons[j]]
		if a != b {
			return a > b
		}
		return reasons[i] < reasons[j]
	})
	rows := make([][]cell, len(reasons))
	for i, k := range reasons {
		rows[i] = []cell{txt(k), cnt(dq.RejectedByReason[k])}
	}
	s.table("RejectedByReason", []string{"Reason", "Rows"}, rows)
	return s
}
