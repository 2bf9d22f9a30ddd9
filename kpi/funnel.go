package kpi

// funnelAcc accumulates the closed and open funnel of one period.
type funnelAcc struct {
	p   *Params
	per Period
}

func newFunnelAcc(p *Params, per Period) *funnelAcc { return &funnelAcc{p: p, per: per} }

func (f *funnelAcc) add(j *Journey)               {}
func (f *funnelAcc) merge(o *funnelAcc)           {}
func (f *funnelAcc) result(d *Dicts) FunnelResult { return FunnelResult{} }
