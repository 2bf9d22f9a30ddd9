// Package arrowcol reads Arrow columns as the values of the data contract: keys, event times,
// numbers and text, whatever the column's type in each file.
package arrowcol
