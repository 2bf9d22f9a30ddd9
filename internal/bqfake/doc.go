// Package bqfake is a local BigQuery server for tests: it speaks the REST API (jobs, their
// cancellation, query results, tables and their expiration, datasets) and the Storage Read gRPC
// API (Arrow, LZ4-compressed on request), records what the client sent and injects faults.
package bqfake
