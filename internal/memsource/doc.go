// Package memsource is an in-memory source of text columns for tests: a tiny CSV table emitted as
// Arrow record batches of strings, as the files source emits a CSV file.
package memsource
