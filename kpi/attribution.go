package kpi

// attributionAcc accumulates the conversion paths of one period.
type attributionAcc struct {
	p   *Params
	per Period
}

func newAttributionAcc(p *Params, per Period) *attributionAcc {
	return &attributionAcc{p: p, per: per}
}

func (a *attributionAcc) add(j *Journey)          {}
func (a *attributionAcc) merge(o *attributionAcc) {}
func (a *attributionAcc) result(d *Dicts, spend []SpendRow) AttributionResult {
	return AttributionResult{}
}
