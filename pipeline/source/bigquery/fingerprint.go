package bigquery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/journeykpi/journeykpi/pipeline/source/bigquery/bqerror"
)

// metadataCalls is how many tables.get requests Fingerprint sends at once: a GA4 export read
// over a year references hundreds of daily tables.
const metadataCalls = 8

// Fingerprint is a hash of the last-modified times of the tables a read of [start, end)
// references, as a dry run of its statement names them (free: nothing is billed), each looked up
// with tables.get. "" when the statement references no table (nothing to tell changes by).
//
// For the compact table, whose every sync rewrites the table, it is instead a hash of the days of
// the range synced and when (its days table), and of the identity table's last change.
func (s *Source) Fingerprint(ctx context.Context, start, end time.Time) (string, error) {
	if s.o.Config.Sync.Table != "" {
		return s.compactFingerprint(ctx, start, end)
	}
	st, err := s.Statement(ctx, start, end)
	if err != nil {
		return "", err
	}
	stats, err := s.dryRun(ctx, st)
	if err != nil {
		return "", err
	}
	if len(stats.ReferencedTables) == 0 {
		return "", nil
	}
	type entry struct {
		name     string
		modified time.Time
		err      error
	}
	out := make([]entry, len(stats.ReferencedTables))
	sem := make(chan struct{}, metadataCalls)
	var wg sync.WaitGroup
	for i, t := range stats.ReferencedTables {
		out[i].name = t.ProjectID + "." + t.DatasetID + "." + t.TableID
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			md, err := s.client.DatasetInProject(t.ProjectID, t.DatasetID).Table(t.TableID).Metadata(ctx)
			if err != nil {
				out[i].err = bqerror.Classify("table metadata", err, int64(s.o.Config.MaxBytesBilled))
				return
			}
			out[i].modified = md.LastModifiedTime
		}()
	}
	wg.Wait()
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	h := sha256.New()
	for _, e := range out {
		if e.err != nil {
			return "", fmt.Errorf("bigquery: %s: %w", e.name, e.err)
		}
		fmt.Fprintf(h, "%s\x00%d\n", e.name, e.modified.UnixNano())
	}
	return "bigquery:" + hex.EncodeToString(h.Sum(nil)[:8]), nil
}
