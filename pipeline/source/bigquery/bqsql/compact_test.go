package bqsql

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/civil"

	"github.com/journeykpi/journeykpi/config"
	"github.com/journeykpi/journeykpi/pipeline/group"
)

// unmix is what the compact read computes in BIGNUMERIC: the stored key times group.Mix's
// inverse modulo 2⁶⁴, as a signed INT64.
func unmix(k int64) int64 {
	u := new(big.Int).SetUint64(uint64(k))
	u.Mul(u, mixInverse)
	u.Mod(u, new(big.Int).Lsh(big.NewInt(1), 64))
	return int64(u.Uint64())
}

// TestShardKeyRanges: the customer the compact read gives the engine, unmix(customer_key), falls
// in the partition that is the top byte of the stored key, so a shard's partitions are exactly the
// keys in its ranges, for shards that span the sign of the key and those that do not.
func TestShardKeyRanges(t *testing.T) {
	if got := new(big.Int).Mul(new(big.Int).SetUint64(group.Mix), mixInverse); new(big.Int).Mod(got, new(big.Int).Lsh(big.NewInt(1), 64)).Int64() != 1 {
		t.Fatal("mixInverse is not group.Mix's inverse modulo 2^64")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	shards := []Shard{{0, 255}, {0, 127}, {128, 255}, {86, 170}, {0, 0}, {255, 255}, {127, 128}, {42, 42}}
	for range 20000 {
		k := int64(rng.Uint64())
		part := group.PartitionOf(uint64(unmix(k)))
		if part != int(uint64(k)>>56) {
			t.Fatalf("key %d: the engine's partition %d is not the key's top byte %d", k, part, uint64(k)>>56)
		}
		for _, s := range shards {
			r := s.keyRanges()
			in := (k >= r[0][0] && k <= r[0][1]) || (k >= r[1][0] && k <= r[1][1])
			if want := part >= s.First && part <= s.Last; in != want {
				t.Fatalf("shard %v: key %d (partition %d) in its ranges %v: %v, want %v", s, k, part, r, in, want)
			}
		}
	}
}

// TestSyncStagesIntegerTimesInTheirUnit: a sync converts integer epoch times in their declared
// unit (source.time_unit), as a report reads them, and filters the days on the column itself,
// the bounds converted to that unit, so that BigQuery can prune the table's partitions and
// clusters (a filter on TIMESTAMP_SECONDS(ts) cannot).
func TestSyncStagesIntegerTimesInTheirUnit(t *testing.T) {
	for unit, want := range map[string][2]string{
		"s":  {"TIMESTAMP_SECONDS(`ts`)", "WHERE `ts` >= UNIX_SECONDS(@start) AND `ts` < UNIX_SECONDS(@end)\n"},
		"ms": {"TIMESTAMP_MILLIS(`ts`)", "WHERE `ts` >= UNIX_MILLIS(@start) AND `ts` < UNIX_MILLIS(@end)\n"},
		"":   {"TIMESTAMP_MICROS(`ts`)", "WHERE `ts` >= UNIX_MICROS(@start) AND `ts` < UNIX_MICROS(@end)\n"},
		"ns": {"TIMESTAMP_MICROS(DIV(`ts`, 1000))", "WHERE `ts` >= UNIX_MICROS(@start) * 1000 AND `ts` < UNIX_MICROS(@end) * 1000\n"},
	} {
		st, err := SourceStaging(SyncSource{Table: "p.d.t", Names: config.Columns{CustomerID: "user", EventTime: "ts"},
			Types: map[string]string{"user": "STRING", "ts": "INT64"}, Time: TimeColumn{Name: "ts", Type: "INT64", Unit: unit}},
			civil.Date{Year: 2026, Month: 3, Day: 1}, civil.Date{Year: 2026, Month: 3, Day: 2})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(st.SQL, want[0]+" AS event_time") {
			t.Errorf("time_unit %q: event_time is not %s:\n%s", unit, want[0], st.SQL)
		}
		if !strings.Contains(st.SQL, want[1]) {
			t.Errorf("time_unit %q: the days are not filtered by %q:\n%s", unit, want[1], st.SQL)
		}
		if _, where, _ := strings.Cut(st.SQL, "\nWHERE "); strings.Contains(where, "TIMESTAMP_") {
			t.Errorf("time_unit %q: the filter converts the column, which stops pruning:\n%s", unit, st.SQL)
		}
		start, end := civil.Date{Year: 2026, Month: 3, Day: 1}.In(time.UTC), civil.Date{Year: 2026, Month: 3, Day: 3}.In(time.UTC)
		if len(st.Params) < 2 || st.Params[0] != (Param{"start", start}) || st.Params[1] != (Param{"end", end}) {
			t.Errorf("time_unit %q: params %v, want start %v and end %v", unit, st.Params, start, end)
		}
	}
	// The time column is the event_time column the staging converts, or the sync is refused.
	_, err := SourceStaging(SyncSource{Table: "p.d.t", Names: config.Columns{CustomerID: "user", EventTime: "ts"},
		Types: map[string]string{"user": "STRING", "ts": "INT64"}, Time: TimeColumn{Name: "ts", Type: "TIMESTAMP"}},
		civil.Date{Year: 2026, Month: 3, Day: 1}, civil.Date{Year: 2026, Month: 3, Day: 2})
	if err == nil {
		t.Error("a time column of another type than the event_time column was taken")
	}
}

// TestSplitFindsPaddedPurchases: the engine trims event names, so " purchase" is a purchase; the
// split read's part before the full range must keep it, from a table and from a compact table
// (whose sync stores the names trimmed, for its exact match on the clustered column).
func TestSplitFindsPaddedPurchases(t *testing.T) {
	start := civil.Date{Year: 2026, Month: 1, Day: 1}.In(time.UTC)
	split := &Split{Full: start.AddDate(0, 1, 0), Column: "name", Values: []string{"purchase"}}
	st, err := Table("p.d.t", nil, TimeColumn{Name: "ts", Type: "TIMESTAMP"}, start, start.AddDate(0, 3, 0), split)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.SQL, "TRIM(`name`) IN UNNEST(@order_values)") {
		t.Errorf("the table's split read matches untrimmed names:\n%s", st.SQL)
	}
	st, err = SourceStaging(SyncSource{Table: "p.d.t", Names: config.Columns{CustomerID: "user", EventTime: "ts", EventName: "name"},
		Types: map[string]string{"user": "STRING", "ts": "TIMESTAMP", "name": "STRING"}, Time: TimeColumn{Name: "ts", Type: "TIMESTAMP"}},
		civil.Date{Year: 2026, Month: 3, Day: 1}, civil.Date{Year: 2026, Month: 3, Day: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.SQL, "TRIM(`name`) AS event_name") {
		t.Errorf("the sync stores untrimmed names:\n%s", st.SQL)
	}
}

// TestNetRevenueNeverNegative: an order's refunds read in the range (GA4 may send one twice) take
// its revenue to 0 at the most; a negative revenue would reject the order's row and lose the
// order, not net it.
func TestNetRevenueNeverNegative(t *testing.T) {
	start := civil.Date{Year: 2026, Month: 1, Day: 1}.In(time.UTC)
	ga4, err := GA4Read(GA4{Table: "p.a.events_*", NetRefunds: true, OrderEvents: []string{"purchase"}}, start, start.AddDate(0, 1, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	compact, err := CompactRead(Compact{Table: "p.d.t", GA4: true, NetRefunds: true}, []string{"customer_id", "event_time", "event_name", "revenue"},
		config.DefaultColumns(), start, start.AddDate(0, 1, 0), nil, nil, []string{"purchase"})
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range map[string]Statement{"ga4": ga4, "compact": compact} {
		if !strings.Contains(st.SQL, "GREATEST(revenue - COALESCE(refunded, 0), 0)") {
			t.Errorf("%s: the net revenue can go below 0:\n%s", name, st.SQL)
		}
	}
}
