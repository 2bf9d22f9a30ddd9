// Package journeykpi bundles the sample data that the built-in example configuration reads, so
// the binary runs offline from any directory.
package journeykpi

import (
	"embed"
	"io/fs"
)

//go:embed testdata/sample
var sample embed.FS

// Sample returns the bundled sample as a file system whose root holds testdata/sample/.
func Sample() fs.FS { return sample }
