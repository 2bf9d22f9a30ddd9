// Package pipeline runs a report: it reads touchpoint events from a Source, groups them into
// customer journeys within a memory budget, folds them into kpi accumulators and writes the
// reports.
package pipeline
