// Package rowpages turns BigQuery's row pages (the REST API's, when the Storage Read API cannot be
// used) into Arrow records of the types the Storage Read API would give.
package rowpages
