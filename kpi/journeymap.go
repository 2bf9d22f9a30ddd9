package kpi

// journeyMapAcc accumulates the stage × touchpoint map of one period.
type journeyMapAcc struct {
	p   *Params
	per Period
}

func newJourneyMapAcc(p *Params, per Period) *journeyMapAcc { return &journeyMapAcc{p: p, per: per} }

func (m *journeyMapAcc) add(j *Journey)                   {}
func (m *journeyMapAcc) merge(o *journeyMapAcc)           {}
func (m *journeyMapAcc) result(d *Dicts) JourneyMapResult { return JourneyMapResult{} }
