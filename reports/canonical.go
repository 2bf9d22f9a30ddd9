package reports

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"time"
)

// contentTypeEntry matches one Default or Override element of [Content_Types].xml, self-closing
// or not.
var contentTypeEntry = regexp.MustCompile(`<Default\s[^>]*?(?:/>|>\s*</Default>)|<Override\s[^>]*?(?:/>|>\s*</Override>)`)

// canonicalZip rewrites an xlsx package so that equal content gives equal bytes: parts in a
// fixed order ([Content_Types].xml, then by name), one modification time, and the entries of
// [Content_Types].xml sorted (excelize writes its Default entries in map order, and its
// streamed worksheets in map order too).
func canonicalZip(data []byte, stamp time.Time) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("canonicalise: %w", err)
	}
	files := append([]*zip.File(nil), zr.File...)
	sort.SliceStable(files, func(i, j int) bool {
		a, b := files[i].Name, files[j].Name
		if (a == "[Content_Types].xml") != (b == "[Content_Types].xml") {
			return a == "[Content_Types].xml"
		}
		return a < b
	})
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range files {
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("canonicalise %s: %w", zf.Name, err)
		}
		body, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			return nil, fmt.Errorf("canonicalise %s: %w", zf.Name, err)
		}
		if zf.Name == "[Content_Types].xml" {
			body = canonicalContentTypes(body)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zip.Deflate, Modified: stamp})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(body); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// canonicalContentTypes sorts the Default entries, then the Override entries, in place of the
// original run of entries. Element order carries no meaning in this part.
func canonicalContentTypes(body []byte) []byte {
	locs := contentTypeEntry.FindAllIndex(body, -1)
	if len(locs) == 0 {
		return body
	}
	var defaults, overrides []string
	for _, l := range locs {
		e := string(body[l[0]:l[1]])
		if bytes.HasPrefix(body[l[0]:], []byte("<Default")) {
			defaults = append(defaults, e)
		} else {
			overrides = append(overrides, e)
		}
	}
	sort.Strings(defaults)
	sort.Strings(overrides)
	var b bytes.Buffer
	b.Write(body[:locs[0][0]])
	for _, e := range append(defaults, overrides...) {
		b.WriteString(e)
	}
	b.Write(body[locs[len(locs)-1][1]:])
	return b.Bytes()
}
