// Package bigquery reads touchpoint events and spend from BigQuery, a table or a query, as Arrow
// record batches through the Storage Read API.
package bigquery
