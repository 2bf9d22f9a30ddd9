package textformat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/apache/arrow/go/v15/arrow"
)

// maxLine is the longest NDJSON line read; a longer one fails the read.
const maxLine = 64 << 20

// kv is one key of an NDJSON object with its value as text; valid is false for null.
type kv struct {
	key, val string
	valid    bool
}

// ReadNDJSON streams a newline-delimited JSON file from r as batches of utf8 columns, passing each
// to emit as ReadCSV does. The columns are the requested ones when Options.Columns is set, else
// the union of the keys of the first batch's lines in order of first appearance; keys first seen
// later are not read. A string value is its text, a number or boolean its JSON text, an object or
// array its compact JSON; null and "" are nulls. A line that is not a JSON object comes out with
// MalformedColumn true; a file whose first line is no JSON at all is an error saying what it
// looks like.
func ReadNDJSON(ctx context.Context, r io.Reader, o Options, emit func(arrow.Record) error) error {
	o = o.withDefaults()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)

	// The first batch is held as parsed lines until the columns are known.
	type row struct {
		kvs []kv
		ok  bool
	}
	var first []row
	for n := 0; len(first) < o.BatchRows && sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if n == 0 {
			// A UTF-8 byte-order mark, as Windows tools write: not part of the first object.
			line = bytes.TrimPrefix(line, []byte("\uFEFF"))
		}
		if len(line) == 0 {
			continue
		}
		if len(first) == 0 && line[0] != '{' && line[0] != '[' {
			// Not one JSON value per line at all (a CSV, a Parquet file): say what it is rather
			// than reject every line as malformed.
			return NotFormatError("NDJSON", line)
		}
		kvs, ok := parseObject(line, nil)
		first = append(first, row{kvs, ok})
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(first) == 0 {
		return nil
	}
	names := o.Columns
	if len(names) == 0 {
		seen := map[string]bool{}
		for _, r := range first {
			for _, p := range r.kvs {
				if !seen[p.key] {
					seen[p.key] = true
					names = append(names, p.key)
				}
			}
		}
	}
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	b := newBatch(names, nil, o.Allocator)
	defer b.release()
	vals := make([]kv, len(names))
	add := func(kvs []kv, ok bool) {
		if !ok {
			b.appendMalformed()
			return
		}
		clear(vals)
		for _, p := range kvs {
			if i, found := index[p.key]; found {
				vals[i] = p // a repeated key: the last one wins
			}
		}
		for i, v := range vals {
			if v.valid {
				b.cols[i].Append(v.val)
			} else {
				b.cols[i].AppendNull()
			}
		}
		b.malformed.Append(false)
		b.rows++
	}
	for _, r := range first {
		add(r.kvs, r.ok)
	}
	first = nil
	var buf []kv
	for {
		if b.rows >= o.BatchRows {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := send(b.record(), emit); err != nil {
				return err
			}
		}
		if !sc.Scan() {
			break
		}
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var ok bool
		buf, ok = parseObject(line, buf[:0])
		add(buf, ok)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if b.rows > 0 {
		return send(b.record(), emit)
	}
	return nil
}

// parseObject appends the keys of the JSON object in line to kvs, in their order. ok is false
// when the line is not exactly one JSON object.
func parseObject(line []byte, kvs []kv) (_ []kv, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return kvs, false
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return kvs, false
		}
		key, isKey := tok.(string)
		if !isKey {
			return kvs, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return kvs, false
		}
		val, valid := rawText(raw)
		kvs = append(kvs, kv{key: key, val: val, valid: valid})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return kvs, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return kvs, false // something after the object
	}
	return kvs, true
}

// rawText is a JSON value as column text; valid is false for null and "".
func rawText(raw json.RawMessage) (string, bool) {
	switch raw[0] {
	case 'n':
		return "", false
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || s == "" {
			return "", false
		}
		return s, true
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return "", false
		}
		return b.String(), true
	}
	return string(raw), true
}
