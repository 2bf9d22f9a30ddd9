package reports

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"
)

// contentTypeEntry matches one Default or Override element of [Content_Types].xml, self-closing
// or not.
var contentTypeEntry = regexp.MustCompile(`<Default\s[^>]*?(?:/>|>\s*</Default>)|<Override\s[^>]*?(?:/>|>\s*</Override>)`)

// Parts of the package that canonicalZip repairs.
var (
	relationshipElem = regexp.MustCompile(`<Relationship\s[^>]*>`)
	relIDAttr        = regexp.MustCompile(`\bId="([^"]*)"`)
	relTypeAttr      = regexp.MustCompile(`\bType="([^"]*)"`)
	tablePartsElem   = regexp.MustCompile(`<tableParts\b[^>]*>.*?</tableParts>`)
)

const tableRelType = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"

type part struct {
	name string
	body []byte
}

// canonicalZip rewrites an xlsx package so that equal content gives equal bytes: parts in a
// fixed order ([Content_Types].xml, then by name), one modification time, and the entries of
// [Content_Types].xml sorted (excelize writes its Default entries in map order, and its
// streamed worksheets in map order too). It also lists every table of a streamed worksheet in
// its tableParts: excelize's streaming writer keeps only the last one.
func canonicalZip(data []byte, stamp time.Time) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("canonicalise: %w", err)
	}
	parts := make([]part, 0, len(zr.File))
	index := map[string]int{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			return nil, fmt.Errorf("canonicalise %s: %w", zf.Name, err)
		}
		body, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			return nil, fmt.Errorf("canonicalise %s: %w", zf.Name, err)
		}
		index[zf.Name] = len(parts)
		parts = append(parts, part{zf.Name, body})
	}
	for i, p := range parts {
		switch {
		case p.name == "[Content_Types].xml":
			parts[i].body = canonicalContentTypes(p.body)
		case strings.HasPrefix(p.name, "xl/worksheets/_rels/") && strings.HasSuffix(p.name, ".xml.rels"):
			sheet := "xl/worksheets/" + strings.TrimSuffix(strings.TrimPrefix(p.name, "xl/worksheets/_rels/"), ".rels")
			if j, ok := index[sheet]; ok {
				parts[j].body = listTableParts(parts[j].body, p.body)
			}
		}
	}
	sort.SliceStable(parts, func(i, j int) bool {
		a, b := parts[i].name, parts[j].name
		if (a == "[Content_Types].xml") != (b == "[Content_Types].xml") {
			return a == "[Content_Types].xml"
		}
		return a < b
	})
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, p := range parts {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: stamp})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(p.body); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// listTableParts rewrites a worksheet's tableParts element to name every table relationship of
// the sheet, in the order of its relationships file.
func listTableParts(sheet, rels []byte) []byte {
	var ids []string
	for _, rel := range relationshipElem.FindAll(rels, -1) {
		typ, id := relTypeAttr.FindSubmatch(rel), relIDAttr.FindSubmatch(rel)
		if typ != nil && id != nil && string(typ[1]) == tableRelType {
			ids = append(ids, string(id[1]))
		}
	}
	loc := tablePartsElem.FindIndex(sheet)
	if len(ids) == 0 || loc == nil {
		return sheet
	}
	var b bytes.Buffer
	b.Write(sheet[:loc[0]])
	fmt.Fprintf(&b, `<tableParts count="%d">`, len(ids))
	for _, id := range ids {
		fmt.Fprintf(&b, `<tablePart r:id="%s"></tablePart>`, id)
	}
	b.WriteString(`</tableParts>`)
	b.Write(sheet[loc[1]:])
	return b.Bytes()
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
