// Package shard is the customer shards of a report (run --shard i/N): which of the engine's
// partitions a shard folds, and the file its state is written to and merged from.
package shard
