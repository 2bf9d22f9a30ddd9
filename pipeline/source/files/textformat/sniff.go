package textformat

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// LooksLike says what the first bytes of a file seem to hold, for a message about a file whose
// content is not its extension's format: "Parquet", "gzip-compressed data", "NDJSON (a JSON
// object per line)", "CSV text (first line "a,b,c")", "binary data" or "an empty file".
func LooksLike(head []byte) string {
	switch {
	case len(head) == 0:
		return "an empty file"
	case bytes.HasPrefix(head, []byte("PAR1")):
		return "Parquet"
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "gzip-compressed data"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "a ZIP archive (an .xlsx workbook?)"
	case bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(trimIncomplete(head)) && controlHeavy(head):
		// Text that is not UTF-8 (a Latin-1 or Windows-1252 export) is still text: what
		// marks binary data is NUL bytes or many control characters, which text has none of.
		return "binary data"
	}
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimSpace(bytes.TrimPrefix(line, []byte("\uFEFF")))
	if bytes.HasPrefix(line, []byte("{")) {
		return "NDJSON (a JSON object per line)"
	}
	if len(line) > 60 {
		line = append(line[:57:57], "..."...)
	}
	return fmt.Sprintf("text, as CSV (first line %q)", line)
}

// controlHeavy reports whether more than 1 in 20 bytes of b are control characters other than
// tab, line feed, form feed and carriage return: about 1 in 9 of random bytes are, and none of
// text in any single-byte encoding.
func controlHeavy(b []byte) bool {
	n := 0
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r' || c == 0x7f {
			n++
		}
	}
	return n*20 > len(b)
}

// trimIncomplete drops a UTF-8 sequence cut off at the end of a head of a file.
func trimIncomplete(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if r, _ := utf8.DecodeLastRune(b); r != utf8.RuneError {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}

// NotFormatError says that a file whose first bytes are content is not of format, though its
// name or files.format says it is, and what it looks like.
func NotFormatError(format string, content []byte) error {
	article := "a"
	if format == "NDJSON" {
		article = "an"
	}
	return fmt.Errorf("not %s %s file: it looks like %s; set files.format, or give it the right extension", article, format, LooksLike(content))
}
