package main

import "io"

// progressWriter is where run progress goes: stderr on a terminal, nowhere otherwise (logs
// carry the same information as JSON lines).
func progressWriter(e console) io.Writer {
	if e.terminal {
		return e.stderr
	}
	return nil
}
