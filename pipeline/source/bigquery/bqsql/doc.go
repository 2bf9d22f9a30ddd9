// Package bqsql builds the SQL journeykpi sends to BigQuery: reads of a table, a query, the GA4
// export and the compact touchpoint table, and the script that keeps that table. It only builds
// text and parameters; values always go in as parameters, and the text carries only validated
// identifiers.
package bqsql
