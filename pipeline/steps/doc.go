// Package steps times the steps of a run for the log, the progress output and the manifest, and
// labels them for CPU profiles.
package steps
