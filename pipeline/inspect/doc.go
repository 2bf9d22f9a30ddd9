// Package inspect shows what a source parses (journeykpi inspect): its first rows as the engine
// sees them, through the real mapping, and a profile of its rows.
package inspect
