package kpi

import (
	"cmp"
	"math"
	"slices"
)

// Benchmarks a stage opportunity is measured against.
const (
	// BenchmarkBestQuartile is the pooled conversion of the best quarter of a breakdown's values
	// (at least one value), among those with allocation.min_entrants customers at the step.
	BenchmarkBestQuartile = "best_quartile"
	// BenchmarkBestPeriod is the step's best conversion among the recent periods of the report's
	// kind whose entrants at the step are mature.
	BenchmarkBestPeriod = "best_recent_period"
)

// ByPeriod is StageOpportunity.By for the whole step measured against its best recent period.
const ByPeriod = "period"

// minBenchmarkValues is how many values of a breakdown must have enough entrants at a step for
// their best quartile to be a benchmark: with fewer, the "best quartile" is one value set against
// one or two others, a comparison rather than a benchmark.
const minBenchmarkValues = 4

// recentRows is the closed funnel of one recent period of the report's kind, for the step
// benchmarks.
type recentRows struct {
	from, to string
	rows     []StageRow
}

// stageOpportunities finds, for every step into a required stage, the groups whose conversion
// falls short of a benchmark by more than chance: each breakdown value (not entry weeks, "(other)"
// or "(none)") against the best quartile of its breakdown's values, and the whole step against its
// best recent period. A gap counts when the group's 95% Wilson interval lies wholly below the
// benchmark. Its value is CloseGap × gap × the group's customers at the previous stage (the extra
// customers reaching the stage) × what a customer reaching the stage is worth. Only mature rows
// count: v's rows (matureRows), groups whose rows up to the step are mature, recent periods mature
// at the step. Sorted by value, highest first, then step order, breakdown and group.
func stageOpportunities(p *Params, v *stageValues, groups []Breakdown, recent []recentRows) []StageOpportunity {
	out := []StageOpportunity{}
	for k, row := range v.rows {
		prev := v.previousRequired(k)
		if row.Optional || prev < 0 || row.ConversionFromPrevious == nil {
			continue
		}
		per := v.value(k)
		if !(per > 0) {
			continue
		}
		step := StageOpportunity{Step: v.rows[prev].Stage + " → " + row.Stage, From: v.rows[prev].Stage, Stage: row.Stage,
			ValuePerCustomer: per}
		add := func(o StageOpportunity, reached, entrants int64, bench float64) {
			iv := WilsonInterval(reached, entrants)
			if !(iv.High < bench) {
				return
			}
			o.Entrants, o.Reached = entrants, reached
			o.Conversion = float64(reached) / float64(entrants)
			o.Interval = iv
			o.Benchmark = bench
			o.Gap = bench - o.Conversion
			o.ExtraCustomers = p.CloseGap * o.Gap * float64(entrants)
			o.Value = o.ExtraCustomers * per
			out = append(out, o)
		}
		for _, b := range groups {
			if b.By == byEntryWeek {
				continue
			}
			type cand struct {
				value             string
				reached, entrants int64
			}
			var cs []cand
			for _, g := range b.Groups {
				if g.Value == OtherLabel || g.Value == NoneLabel || !matureThrough(p, g.Closed, k) {
					continue
				}
				n, x := g.Closed[prev].Reached, g.Closed[k].Reached
				if n >= int64(max(p.MinEntrants, 1)) {
					cs = append(cs, cand{g.Value, x, n})
				}
			}
			if len(cs) < minBenchmarkValues {
				continue
			}
			// Best first; equal rates by value, so the quartile does not depend on input order.
			slices.SortFunc(cs, func(a, b cand) int {
				if c := cmp.Compare(float64(b.reached)*float64(a.entrants), float64(a.reached)*float64(b.entrants)); c != 0 {
					return c
				}
				return cmp.Compare(a.value, b.value)
			})
			top := (len(cs) + 3) / 4
			var x, n int64
			var names []string
			for _, c := range cs[:top] {
				x += c.reached
				n += c.entrants
				names = append(names, c.value)
			}
			bench := float64(x) / float64(n)
			for _, c := range cs[top:] {
				o := step
				o.By, o.Group = b.By, c.value
				o.BenchmarkKind, o.BenchmarkOf = BenchmarkBestQuartile, names
				add(o, c.reached, c.entrants, bench)
			}
		}
		best, bestAt := math.Inf(-1), -1
		for i, rp := range recent {
			if !matureThrough(p, rp.rows, k) || rp.rows[k].ConversionFromPrevious == nil {
				continue
			}
			if c := *rp.rows[k].ConversionFromPrevious; c > best {
				best, bestAt = c, i
			}
		}
		if bestAt >= 0 {
			o := step
			o.By = ByPeriod
			o.BenchmarkKind, o.BenchmarkOf = BenchmarkBestPeriod, []string{recent[bestAt].from, recent[bestAt].to}
			add(o, row.Reached, v.rows[prev].Reached, best)
		}
	}
	slices.SortStableFunc(out, func(a, b StageOpportunity) int {
		if c := cmp.Compare(cents(b.Value), cents(a.Value)); c != 0 {
			return c
		}
		if c := cmp.Compare(v.row(a.Stage), v.row(b.Stage)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.By, b.By); c != 0 {
			return c
		}
		return cmp.Compare(a.Group, b.Group)
	})
	return out
}

// matureThrough reports whether rows (a closed funnel) hold mature values up to and including row
// k: none of them has a mature share below MinMature.
func matureThrough(p *Params, rows []StageRow, k int) bool {
	if k >= len(rows) {
		return false
	}
	for _, r := range rows[:k+1] {
		if r.MatureShare != nil && *r.MatureShare < p.MinMature {
			return false
		}
	}
	return true
}

// bestPerStep keeps the most valuable opportunity of each step (ops sorted by value first) that
// brings at least one whole customer: an action is worth a sentence only then. One worth nothing
// is left out by allocate, as for every kind.
func bestPerStep(ops []StageOpportunity) []StageOpportunity {
	var out []StageOpportunity
	seen := map[string]bool{}
	for _, o := range ops {
		if seen[o.Step] || o.ExtraCustomers < 1 {
			continue
		}
		seen[o.Step] = true
		out = append(out, o)
	}
	return out
}
