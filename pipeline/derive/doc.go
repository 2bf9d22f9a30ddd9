// Package derive evaluates the source's expressions (source.derive and source.where) over Arrow
// record batches: the computed contract columns and each row's verdict.
package derive
