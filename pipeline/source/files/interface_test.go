package files_test

import (
	"github.com/journeykpi/journeykpi/pipeline/source"
	"github.com/journeykpi/journeykpi/pipeline/source/files"
)

// The files source offers every optional ability the pipeline looks for.
var (
	_ source.Source    = (*files.Source)(nil)
	_ source.Describer = (*files.Source)(nil)
	_ source.Planner   = (*files.Source)(nil)
	_ source.Schemer   = (*files.Source)(nil)
)
