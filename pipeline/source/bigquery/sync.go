package bigquery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	bigquery "cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"

	"github.com/journeykpi/journeykpi/pipeline/source/bigquery/bqerror"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery/bqsql"
)

// SyncDay is what a sync recorded for one day of the compact table.
type SyncDay struct {
	Day civil.Date
	// Staged are the source's rows of the day; Kept those written; NoClientID those left out
	// (GA4: no user_pseudo_id, consent mode); Refunds the refund events among the kept.
	Staged, Kept, NoClientID, Refunds int64
}

// SyncStatement is the script that rebuilds the compact table's days from..to (UTC, inclusive)
// from the source: the GA4 export through the preset's mapping, or the table or query through
// source.columns. The source's schema is looked up (tables.get, or a dry run of the query).
func (s *Source) SyncStatement(ctx context.Context, from, to civil.Date) (Statement, error) {
	c := s.o.Config
	if c.Sync.Table == "" {
		return Statement{}, errors.New("bigquery: no compact table (source.bigquery.sync.table)")
	}
	var staging Statement
	var err error
	if s.o.Preset == "ga4" {
		g, gerr := s.ga4(ctx)
		if gerr != nil {
			return Statement{}, gerr
		}
		staging, err = bqsql.GA4Staging(g, from, to)
	} else {
		var schema bigquery.Schema
		if c.Table != "" {
			if schema, err = s.tableSchema(ctx, c.Table); err != nil {
				return Statement{}, err
			}
		} else {
			day := from.In(time.UTC)
			qs, qerr := s.dryRun(ctx, bqsql.Query(c.Query, day, day.AddDate(0, 0, 1)))
			if qerr != nil {
				return Statement{}, qerr
			}
			schema = qs.Schema
		}
		types := schemaTypes(schema)
		table := ""
		if c.Table != "" {
			table = s.qualify(c.Table)
		}
		tc, terr := s.timeColumn(s.o.Names.EventTime, types[s.o.Names.EventTime])
		if terr != nil {
			return Statement{}, terr
		}
		staging, err = bqsql.SourceStaging(bqsql.SyncSource{Table: table, Query: c.Query, Names: s.o.Names, Types: types,
			TimeZone: s.o.TimeZone, Time: tc}, from, to)
	}
	if err != nil {
		return Statement{}, fmt.Errorf("bigquery: sync: %w", err)
	}
	return bqsql.Sync(s.compact(), staging, from, to), nil
}

// Sync rebuilds the compact table's days from..to (UTC, inclusive) in one transaction (one
// script job; an error rolls it back) and returns what it recorded for each day. It creates the
// tables the first time, in a dataset that must exist.
func (s *Source) Sync(ctx context.Context, from, to civil.Date) ([]SyncDay, error) {
	st, err := s.SyncStatement(ctx, from, to)
	if err != nil {
		return nil, err
	}
	s.shared.mu.Lock()
	s.shared.last = s.statementText(st)
	s.shared.mu.Unlock()
	q := s.query(st, false)
	job, err := q.Run(ctx)
	if err != nil {
		return nil, bqerror.WithJob(bqerror.Classify("sync", err, s.maxBytes()), s.jobName(q.JobID))
	}
	s.log.Info("bigquery job", "op", "sync", "job_id", job.ID(), "location", job.Location(), "from", from.String(), "to", to.String())
	if err := s.wait(ctx, job); err != nil {
		return nil, bqerror.WithJob(err, s.jobName(job.ID()))
	}
	// A script's result is its last statement's: the days as recorded.
	it, err := job.Read(ctx)
	if err != nil {
		return nil, bqerror.WithJob(bqerror.Classify("sync", err, s.maxBytes()), s.jobName(job.ID()))
	}
	var days []SyncDay
	for {
		var v map[string]bigquery.Value
		err := it.Next(&v)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return days, bqerror.WithJob(bqerror.Classify("sync", err, s.maxBytes()), s.jobName(job.ID()))
		}
		var d SyncDay
		d.Day, _ = v["day"].(civil.Date)
		d.Staged, _ = v["rows_staged"].(int64)
		d.Kept, _ = v["rows_kept"].(int64)
		d.NoClientID, _ = v["no_client_id"].(int64)
		d.Refunds, _ = v["refunds"].(int64)
		days = append(days, d)
	}
	return days, nil
}

// Fresh reports whether the source has data on the day that starts at last (a period's last
// day, in the report's time zone): for the GA4 export, whether the day's table exists (GA4 writes
// it once the day is processed), and, when reports read the compact table, whether that has an
// event on the day or after too; for a table or the compact table of another source, whether its
// latest event is on that day or after. A query cannot tell: ok, with a detail saying so.
func (s *Source) Fresh(ctx context.Context, last time.Time) (ok bool, detail string, err error) {
	c := s.o.Config
	day := last.Format("20060102")
	switch {
	case s.o.Preset == "ga4":
		wild := s.ga4Table()
		p, d, t := s.splitRef(wild)
		name := strings.TrimSuffix(t, "*") + day
		_, err := s.client.DatasetInProject(p, d).Table(name).Metadata(ctx)
		var ge *googleapi.Error
		if errors.As(err, &ge) && ge.Code == http.StatusNotFound {
			return false, fmt.Sprintf("the GA4 export has no table %s.%s.%s yet", p, d, name), nil
		}
		if err != nil {
			return false, "", bqerror.Classify("table metadata", err, s.maxBytes())
		}
		detail := fmt.Sprintf("the GA4 export has %s.%s.%s", p, d, name)
		if c.Sync.Table == "" {
			return true, detail, nil
		}
		// The report reads the compact table, which has the day only once a sync ran after the
		// export wrote it.
		ok, cdetail, err := s.compactFresh(ctx, last)
		if err != nil || ok {
			return ok, detail + "; in the compact table " + cdetail, err
		}
		return false, detail + "; the compact table " + c.Sync.Table + ": " + cdetail + " (a journeykpi sync after the export's table came adds the day)", nil
	case c.Sync.Table != "":
		return s.compactFresh(ctx, last)
	case c.Table != "":
		schema, err := s.tableSchema(ctx, c.Table)
		if err != nil {
			return false, "", err
		}
		col := s.o.TimeColumn
		typ, ok := schemaTypes(schema)[col]
		if !ok {
			return false, "", fmt.Errorf("bigquery: table %s has no column %q", c.Table, col)
		}
		tc, err := s.timeColumn(col, typ)
		if err != nil {
			return false, "", err
		}
		st, err := bqsql.Latest(s.qualify(c.Table), tc, last, last.AddDate(10, 0, 0))
		if err != nil {
			return false, "", fmt.Errorf("bigquery: %w", err)
		}
		t, found, err := s.latestSince(ctx, st)
		return freshness(t, found, last, err)
	}
	return true, "a query cannot tell how far its data reach", nil
}

// compactFresh reports whether the compact table has an event on the day that starts at last
// or after.
func (s *Source) compactFresh(ctx context.Context, last time.Time) (bool, string, error) {
	t, found, err := s.latestSince(ctx, bqsql.CompactLatest(s.compact(), last, last.AddDate(10, 0, 0)))
	return freshness(t, found, last, err)
}

// freshness is Fresh's answer from the latest event t on or after last (found false when
// there is none).
func freshness(t time.Time, found bool, last time.Time, err error) (bool, string, error) {
	if err != nil {
		return false, "", err
	}
	if !found {
		return false, fmt.Sprintf("no event on or after %s", last.Format(time.DateOnly)), nil
	}
	return !t.Before(last), fmt.Sprintf("the latest event is at %s", t.UTC().Format(time.RFC3339)), nil
}

// latestSince runs a query of one row whose "latest" column is a time of any BigQuery type.
func (s *Source) latestSince(ctx context.Context, st Statement) (time.Time, bool, error) {
	row, err := s.queryRow(ctx, "latest event", st)
	if err != nil {
		return time.Time{}, false, err
	}
	switch v := row["latest"].(type) {
	case time.Time:
		return v, true, nil
	case int64:
		return time.UnixMicro(v), true, nil
	case civil.Date:
		return v.In(time.UTC), true, nil
	case civil.DateTime:
		return v.In(time.UTC), true, nil
	}
	return time.Time{}, false, nil
}

// compactFingerprint is a hash of what a sync changes in the compact table's rows of [start,
// end): the days synced and when; with identity stitching, also when the identity table changed.
func (s *Source) compactFingerprint(ctx context.Context, start, end time.Time) (string, error) {
	c := s.compact()
	row, err := s.queryRow(ctx, "fingerprint", bqsql.CompactSynced(c, civil.DateOf(start.UTC()), civil.DateOf(end.Add(-time.Microsecond).UTC())))
	if err != nil {
		return "", err
	}
	text := fmt.Sprint(row["synced"])
	if c.Identity {
		p, d, t := s.splitRef(c.IdentityTable())
		md, err := s.client.DatasetInProject(p, d).Table(t).Metadata(ctx)
		if err != nil {
			return "", bqerror.Classify("table metadata", err, s.maxBytes())
		}
		text += "\x00" + md.LastModifiedTime.UTC().Format(time.RFC3339Nano)
	}
	h := sha256.Sum256([]byte(text))
	return "bigquery:" + hex.EncodeToString(h[:8]), nil
}
