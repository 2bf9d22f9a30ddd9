package ingest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/journeykpi/journeykpi/internal/fault"
	"github.com/journeykpi/journeykpi/kpi"
)

// QualityError is a run stopped because too many rows broke the data contract.
type QualityError struct {
	Read, Rejected int64
	MaxRatio       float64
	ByReason       map[string]int64
}

// Kind makes too many rejected rows a data problem (exit 3).
func (e *QualityError) Kind() fault.Kind { return fault.Data }

func (e *QualityError) Error() string {
	reasons := make([]string, 0, len(e.ByReason))
	for k := range e.ByReason {
		reasons = append(reasons, k)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if e.ByReason[reasons[i]] != e.ByReason[reasons[j]] {
			return e.ByReason[reasons[i]] > e.ByReason[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%s %d", r, e.ByReason[r])
	}
	return fmt.Sprintf("%d of %d rows (%.2f%%) rejected, above quality.max_reject_ratio %.2f%%: %s",
		e.Rejected, e.Read, 100*float64(e.Rejected)/float64(e.Read), 100*e.MaxRatio, strings.Join(parts, ", "))
}

// Quality returns the counts so far and the error when the reject ratio is over the limit.
func (n *Mapper) Quality(maxRatio float64) (kpi.DataQuality, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	q := kpi.DataQuality{RowsRead: n.read, RejectedByReason: map[string]int64{}, RowsOutsideRange: n.outside, Unmatched: n.unmatched, RowsFiltered: n.filtered}
	for k, v := range n.rejected {
		q.RejectedByReason[k] = v
		q.RowsRejected += v
	}
	if q.RowsRead > 0 && float64(q.RowsRejected)/float64(q.RowsRead) > maxRatio {
		return q, &QualityError{Read: q.RowsRead, Rejected: q.RowsRejected, MaxRatio: maxRatio, ByReason: q.RejectedByReason}
	}
	return q, nil
}
