package bigquery

import "github.com/journeykpi/journeykpi/pipeline/source/bigquery/bqerror"

// Error is a BigQuery failure with its class (bqerror.Error).
type Error = bqerror.Error

// ErrNoCredentials is returned when Application Default Credentials cannot be found.
var ErrNoCredentials = bqerror.ErrNoCredentials
