package kpi

import (
	"runtime"
	"testing"
)

// BenchmarkAccStatePerCustomer measures what the accumulators keep per customer once journeys
// shaped like the peer benchmark's are folded in: the memory that grows with customers (exact
// quantiles, BG/NBD inputs), against the grouping budget that bounds the events.
func BenchmarkAccStatePerCustomer(b *testing.B) {
	p := benchParams()
	const n = 200_000
	js := benchJourneys(p, n, 7)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		acc := NewAcc(p)
		for k := range js {
			acc.Add(&js[k])
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "bytes/customer")
		runtime.KeepAlive(acc)
	}
}
