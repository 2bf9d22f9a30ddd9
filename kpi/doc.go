// Package kpi computes journeykpi's KPIs from customer journeys: it folds one journey at a time into
// accumulators and merges them into a Result. It does no I/O, reads no clock and logs nothing.
package kpi
