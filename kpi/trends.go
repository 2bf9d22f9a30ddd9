package kpi

// trendsAcc accumulates daily (or weekly) entrants and conversions of one period.
type trendsAcc struct {
	p   *Params
	per Period
}

func newTrendsAcc(p *Params, per Period) *trendsAcc { return &trendsAcc{p: p, per: per} }

func (t *trendsAcc) add(j *Journey)               {}
func (t *trendsAcc) merge(o *trendsAcc)           {}
func (t *trendsAcc) result(d *Dicts) TrendsResult { return TrendsResult{} }
