// Package files is the files source: Parquet, CSV and NDJSON files and globs, streamed as Arrow
// record batches, with hive date= folders pruned to the range read.
package files
