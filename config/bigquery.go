package config

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

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

	// Sync is the compact touchpoint table journeykpi keeps from this source (journeykpi sync),
	// and which reports then read instead of it.
	Sync Sync `yaml:"sync"`
	// Destination is where query results are written instead of the anonymous result table.
	Destination Destination `yaml:"destination"`
	// JobTimeout bounds each query job on the server (BigQuery stops it); 0 means no bound.
	JobTimeout Duration `yaml:"job_timeout"`
	// Streams is how many Storage Read streams a result is read over at most; 0 lets BigQuery
	// choose, from one per CPU up.
	Streams int `yaml:"streams"`
	// Compression is the Storage Read API's compression of Arrow buffers: lz4 or none.
	Compression string `yaml:"compression"`
	// Freshness is what a scheduled report does when the source has no data through the period's
	// end: wait (skip it; the next run tries again), warn (report, with a warning) or fail.
	Freshness string `yaml:"freshness"`
	// GA4 are the choices of the ga4 preset.
	GA4 GA4 `yaml:"ga4"`
}

// Sync configures the compact touchpoint table: exactly the data contract's columns plus the
// customer key, partitioned by event day and clustered by event name and customer key.
type Sync struct {
	// Table is project.dataset.table of the compact table; empty means reports read the source.
	Table string `yaml:"table"`
	// Days is how many days back each sync rebuilds (GA4 updates a day for up to 72 hours).
	Days int `yaml:"days"`
}

// Destination is a dataset for query results, each table expiring after Expiration.
type Destination struct {
	// Dataset is project.dataset or dataset (in the billing project); empty means the compact
	// table's dataset when there is one, else the anonymous result table.
	Dataset    string   `yaml:"dataset"`
	Expiration Duration `yaml:"expiration"`
}

// GA4 are the choices the ga4 preset leaves to the property.
type GA4 struct {
	// Revenue is purchase_revenue in the event's currency ("value") or purchase_revenue_in_usd
	// ("usd"), for properties that sell in several currencies.
	Revenue string `yaml:"revenue"`
	// Refunds: "net" subtracts refund events from their order's revenue; "ignore" does not.
	Refunds string `yaml:"refunds"`
	// Tables is the export read: daily (events_*), fresh (events_fresh_*, Analytics 360) or
	// intraday (events_intraday_*, for streaming-only properties).
	Tables string `yaml:"tables"`
	// Identity: "user_id" keys a device to the latest user_id seen for it (the identity table
	// sync keeps); "none" keys on stream_id and user_pseudo_id only.
	Identity string `yaml:"identity"`
}

// DefaultGA4 are the ga4 preset's defaults.
func DefaultGA4() GA4 {
	return GA4{Revenue: "value", Refunds: "net", Tables: "daily", Identity: "user_id"}
}

// fillDefaults sets the keys a spend section leaves empty to the events source's defaults.
func (b *BigQuery) fillDefaults(def BigQuery) {
	if b.JobTimeout == 0 {
		b.JobTimeout = def.JobTimeout
	}
	if b.Compression == "" {
		b.Compression = def.Compression
	}
	if b.Freshness == "" {
		b.Freshness = def.Freshness
	}
	if b.Destination.Expiration == 0 {
		b.Destination.Expiration = def.Destination.Expiration
	}
}

// validateScale checks the keys of the compact table, the result destination, the reads and the
// GA4 choices under key.
func validateScale(b BigQuery, key string, events bool, bad func(string, string, ...any)) {
	if b.Sync.Table != "" {
		switch {
		case !events:
			bad(key+".sync.table", "only the events source has a compact table")
		case !ValidTableRef(b.Sync.Table) || strings.Count(b.Sync.Table, ".") != 2 || strings.HasSuffix(b.Sync.Table, "*"):
			bad(key+".sync.table", "%q is not a table reference (project.dataset.table)", b.Sync.Table)
		}
	}
	if b.Sync.Days < 1 || b.Sync.Days > 90 {
		if events {
			bad(key+".sync.days", "must be between 1 and 90")
		}
	}
	if d := b.Destination.Dataset; d != "" && (!datasetRef.MatchString(d)) {
		bad(key+".destination.dataset", "%q is not a dataset reference (project.dataset or dataset)", d)
	}
	if b.Destination.Expiration < Duration(time.Hour) {
		bad(key+".destination.expiration", "must be at least 1h (a read may take that long)")
	}
	if b.JobTimeout < 0 {
		bad(key+".job_timeout", "must not be negative")
	}
	if b.Streams < 0 || b.Streams > 1000 {
		bad(key+".streams", "must be between 0 (BigQuery chooses) and 1000")
	}
	switch b.Compression {
	case "lz4", "none":
	default:
		bad(key+".compression", "%q is not a compression (lz4 | none)", b.Compression)
	}
	switch b.Freshness {
	case "wait", "warn", "fail":
	default:
		bad(key+".freshness", "%q is not a freshness policy (wait | warn | fail)", b.Freshness)
	}
	g := b.GA4
	for _, c := range []struct{ name, v, allowed string }{
		{"revenue", g.Revenue, "value|usd"}, {"refunds", g.Refunds, "net|ignore"},
		{"tables", g.Tables, "daily|fresh|intraday"}, {"identity", g.Identity, "user_id|none"},
	} {
		if c.v != "" && !slices.Contains(strings.Split(c.allowed, "|"), c.v) {
			bad(key+".ga4."+c.name, "%q is not one of %s", c.v, strings.ReplaceAll(c.allowed, "|", " | "))
		}
	}
}

var datasetRef = regexp.MustCompile(`^([A-Za-z0-9_-]{1,128}\.)?[A-Za-z0-9_]{1,1000}$`)

// Retry is the bounded retry policy wrapped around a remote source.
type Retry struct {
	Attempts       int      `yaml:"attempts"`
	InitialBackoff Duration `yaml:"initial_backoff"`
	MaxBackoff     Duration `yaml:"max_backoff"`
	Deadline       Duration `yaml:"deadline"`
}

// Backoff is the pause before the n-th retry (n from 1): InitialBackoff, doubled at each later
// retry, never more than MaxBackoff. A zero MaxBackoff (no policy given) leaves InitialBackoff
// as it is, and a MaxBackoff below InitialBackoff, which validation refuses, caps it all the same.
// However large n is, the pause does not overflow.
func (r Retry) Backoff(n int) time.Duration {
	d, ceiling := max(r.InitialBackoff.D(), 0), r.MaxBackoff.D()
	if ceiling <= 0 {
		return d
	}
	for i := 1; i < n && d > 0 && d < ceiling; i++ {
		if d > ceiling/2 {
			d = ceiling
			break
		}
		d *= 2
	}
	return min(d, ceiling)
}

// resolveProject takes the project that runs the query from a project.dataset.table reference
// when none is given.
func (b *BigQuery) resolveProject() {
	if b.Project == "" && b.Table != "" && strings.Count(b.Table, ".") == 2 {
		b.Project = b.Table[:strings.IndexByte(b.Table, '.')]
	}
}
