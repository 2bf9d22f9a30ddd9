package bigquery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	bigquery "cloud.google.com/go/bigquery"
	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	"github.com/apache/arrow/go/v15/arrow"
	gax "github.com/googleapis/gax-go/v2"
	"github.com/journeykpi/journeykpi/pipeline/source/bigquery/bqerror"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxMessage is the largest ReadRows response accepted: the Storage Read API sends batches of up
// to 128 MiB.
const maxMessage = 129 << 20

// streamRetries is how many times one stream is resumed from its offset after a transient error
// before the read fails: a stalled stream must not outlive the retry policy.
const streamRetries = 5

// sleep pauses for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errNoReadSession is a read session that could not be created for want of permission: the
// caller may fall back to row pages.
var errNoReadSession = errors.New("the Storage Read API could not be used")

// readTable streams the rows of a result table through the Storage Read API: one read session
// (Arrow, LZ4-compressed buffers unless source.bigquery.compression is none), as many streams as
// BigQuery gives up to source.bigquery.streams, read at once; a stream interrupted by a transient
// error resumes from the row it reached. It returns the rows emitted.
func (s *Source) readTable(ctx context.Context, t *bigquery.Table, emit func(arrow.Record) error) (int64, error) {
	opts := &storagepb.ReadSession_TableReadOptions{}
	if s.o.Config.Compression != "none" {
		opts.OutputFormatSerializationOptions = &storagepb.ReadSession_TableReadOptions_ArrowSerializationOptions{
			ArrowSerializationOptions: &storagepb.ArrowSerializationOptions{BufferCompression: storagepb.ArrowSerializationOptions_LZ4_FRAME},
		}
	}
	req := &storagepb.CreateReadSessionRequest{
		Parent: "projects/" + s.project,
		ReadSession: &storagepb.ReadSession{
			Table:       fmt.Sprintf("projects/%s/datasets/%s/tables/%s", t.ProjectID, t.DatasetID, t.TableID),
			DataFormat:  storagepb.DataFormat_ARROW,
			ReadOptions: opts,
		},
		MaxStreamCount:          int32(s.o.Config.Streams),
		PreferredMinStreamCount: int32(runtime.GOMAXPROCS(0)),
	}
	sess, err := s.storage.CreateReadSession(ctx, req)
	if err != nil {
		if c := status.Code(err); c == codes.PermissionDenied || c == codes.Unauthenticated {
			return 0, fmt.Errorf("%w: %w", errNoReadSession, err)
		}
		return 0, bqerror.Classify("read session", err, 0)
	}
	schema := sess.GetArrowSchema().GetSerializedSchema()
	streams := sess.GetStreams()
	s.log.Info("bigquery read session", "streams", len(streams), "estimated_rows", sess.GetEstimatedRowCount(),
		"compression", s.o.Config.Compression)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		total int64
		first error
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	for _, st := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			n, err := s.readStream(ctx, st.GetName(), schema, emit)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil && first == nil {
				first = err
				cancel()
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return total, first
}

// readStream reads one stream to its end, resuming at the offset reached after a transient error.
func (s *Source) readStream(ctx context.Context, name string, schema []byte, emit func(arrow.Record) error) (int64, error) {
	var offset int64
	retries := 0
	for {
		rs, err := s.storage.ReadRows(ctx, &storagepb.ReadRowsRequest{ReadStream: name, Offset: offset},
			gax.WithGRPCOptions(grpc.MaxCallRecvMsgSize(maxMessage)))
		for err == nil {
			var resp *storagepb.ReadRowsResponse
			resp, err = rs.Recv()
			if errors.Is(err, io.EOF) {
				return offset, nil
			}
			if err != nil {
				break
			}
			n, derr := s.decode(schema, resp.GetArrowRecordBatch().GetSerializedRecordBatch(), emit)
			offset += n
			if derr != nil {
				return offset, derr
			}
			retries = 0
		}
		if ctx.Err() != nil {
			return offset, ctx.Err()
		}
		switch status.Code(err) {
		case codes.Unavailable, codes.Internal, codes.ResourceExhausted, codes.Aborted, codes.DeadlineExceeded:
			if retries < streamRetries {
				retries++
				// Resuming at once gave a server that was unavailable for a moment five tries
				// within milliseconds: pause as the retry policy does between attempts.
				pause := s.o.Config.Retry.Backoff(retries)
				s.log.Warn("bigquery: read stream interrupted, resuming", "stream", name, "offset", offset, "pause", pause.String(), "error", err.Error())
				if err := sleep(ctx, pause); err != nil {
					return offset, err
				}
				continue
			}
		}
		return offset, bqerror.Classify("read rows", err, 0)
	}
}
