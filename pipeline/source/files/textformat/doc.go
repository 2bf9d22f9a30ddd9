// Package textformat reads the line-oriented formats of a files source, CSV (any delimiter, with
// or without header) and NDJSON, into Arrow record batches of text columns, and tells what a file
// that is not its format looks like.
package textformat
