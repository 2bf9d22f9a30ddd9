package kpi

// repeatAcc accumulates the repeat-purchase KPIs of one period; for the report period (current)
// also the cohorts and the BG/NBD inputs.
type repeatAcc struct {
	p       *Params
	per     Period
	current bool
}

func newRepeatAcc(p *Params, per Period, current bool) *repeatAcc {
	return &repeatAcc{p: p, per: per, current: current}
}

func (r *repeatAcc) add(j *Journey)               {}
func (r *repeatAcc) merge(o *repeatAcc)           {}
func (r *repeatAcc) result(d *Dicts) RepeatResult { return RepeatResult{} }
