package kpi

// allocate turns the computed KPIs into ranked recommendations: where resources should go.
func allocate(p *Params, r *Result, spend []SpendRow) AllocationResult { return AllocationResult{} }
