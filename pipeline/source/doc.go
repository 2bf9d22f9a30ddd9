// Package source opens the sources the config describes (files, BigQuery) behind one Source
// interface and its small optional ones, wraps remote ones in a bounded retry policy, and checks
// their schema against the data contract.
package source
