package config

import "strings"

// BigQuery is a BigQuery source: a table (filtered to the read range) or a custom query that
// takes the @start and @end parameters.
type BigQuery struct {
	Project        string            `yaml:"project"`
	Location       string            `yaml:"location"`
	Table          string            `yaml:"table"`
	Query          string            `yaml:"query"`
	MaxBytesBilled ByteSize          `yaml:"max_bytes_billed"`
	Labels         map[string]string `yaml:"labels"`
	// AllowRowFallback lets the read continue over row pages when the Storage Read API cannot be
	// used. Off by default: the row path is much slower and usually means a missing permission.
	AllowRowFallback bool  `yaml:"allow_row_fallback"`
	Retry            Retry `yaml:"retry"`
}

// Retry is the bounded retry policy wrapped around a remote source.
type Retry struct {
	Attempts       int      `yaml:"attempts"`
	InitialBackoff Duration `yaml:"initial_backoff"`
	MaxBackoff     Duration `yaml:"max_backoff"`
	Deadline       Duration `yaml:"deadline"`
}

// resolveProject takes the project that runs the query from a project.dataset.table reference
// when none is given.
func (b *BigQuery) resolveProject() {
	if b.Project == "" && b.Table != "" && strings.Count(b.Table, ".") == 2 {
		b.Project = b.Table[:strings.IndexByte(b.Table, '.')]
	}
}
