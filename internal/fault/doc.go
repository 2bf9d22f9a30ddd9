// Package fault gives errors a kind (configuration, data, lock…) that the command maps to an exit
// code in one place, so that no caller needs to know the concrete error types of other packages.
package fault
