package files_test

import (
	"github.com/journeykpi/journeykpi/pipeline"
	"github.com/journeykpi/journeykpi/pipeline/files"
)

// The files source offers every optional ability the pipeline looks for.
var (
	_ pipeline.Source    = (*files.Source)(nil)
	_ pipeline.Describer = (*files.Source)(nil)
	_ pipeline.Planner   = (*files.Source)(nil)
	_ pipeline.Schemer   = (*files.Source)(nil)
)
