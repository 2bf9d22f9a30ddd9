//go:build !race

package pipeline

// raceDetector says the tests run under the race detector, which changes what the heap holds.
const raceDetector = false
