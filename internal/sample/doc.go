// Package sample writes deterministic synthetic customer journeys (events and spend) for demos,
// tests and the bundled sample data.
package sample
