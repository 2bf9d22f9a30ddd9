// Package group turns rows into journeys within a memory budget: it hash-partitions rows by
// customer, spills beyond the budget, radix-sorts each partition and folds each journey into kpi
// accumulators.
package group
