// Package reports renders a computed kpi.Result as the manager's Excel workbook and the analysts' JSON, written atomically and byte-for-byte reproducibly.
package reports
