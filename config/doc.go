// Package config defines journeykpi's YAML configuration: its defaults, loading with unknown keys
// rejected, and validation that reports every problem at once, each naming its key path.
package config
