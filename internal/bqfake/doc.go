// Package bqfake is a local BigQuery server for tests: it speaks the REST API (jobs, query
// results, tables) and the Storage Read gRPC API, records what the client sent and injects faults.
package bqfake
