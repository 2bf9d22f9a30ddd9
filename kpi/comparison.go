package kpi

// headline sets the headline KPIs of the period beside the previous period's.
func headline(p *Params, cur, prev *PeriodResult) []Headline { return nil }
