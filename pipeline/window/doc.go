// Package window is the report calendar: windows of whole days in the report time zone, the
// schedule periods, the comparison and recompute windows, and the splitting of a range into periods.
package window
