package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// typeErrorLine is one problem of a yaml.TypeError: "line 3: …", or "line 3, column 9: …" from
// the unit decoders.
var (
	typeErrorLine  = regexp.MustCompile(`^line (\d+)(?:, column (\d+))?: (.*)$`)
	unknownField   = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	cannotDecodeTo = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")
	duplicateKey   = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
)

// place is a node of the YAML document with its key path.
type place struct {
	path        string
	line, col   int
	key, scalar string
	kind        yaml.Kind
}

// places lists the keys and the values of the document data, with their paths.
func places(data []byte) (keys, values []place) {
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				keys = append(keys, place{path: p, line: k.Line, col: k.Column, key: k.Value})
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
		values = append(values, place{path: path, line: n.Line, col: n.Column, scalar: n.Value, kind: n.Kind})
	}
	walk(&root, "")
	return keys, values
}

// find returns the path of the only place matching match.
func find(ps []place, match func(place) bool) (string, bool) {
	found := ""
	for _, p := range ps {
		if match(p) {
			if found != "" && found != p.path {
				return "", false // ambiguous
			}
			found = p.path
		}
	}
	return found, found != ""
}

// duplicateKeys returns the keys given twice in data, each naming both lines, or nil when there
// is none. A key given twice is reported alone: which of its values counts is unclear, and any
// other problem may follow from it.
func duplicateKeys(data []byte, te *yaml.TypeError) error {
	keys, _ := places(data)
	var errs []error
	for _, msg := range te.Errors {
		m := typeErrorLine.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		d := duplicateKey.FindStringSubmatch(m[3])
		if d == nil {
			continue
		}
		line, _ := strconv.Atoi(m[1])
		path, ok := find(keys, func(p place) bool { return p.line == line && p.key == d[1] })
		if !ok {
			path = d[1]
		}
		errs = append(errs, fmt.Errorf("%s: the key is given twice, on lines %s and %d; keep one", path, d[2], line))
	}
	return errors.Join(errs...)
}

// namedTypeErrors turns each problem of te into an error that starts with its key path and says
// in plain words what was expected (`funnel.top: expected a whole number, got the text "ten"
// (line 3)`), found in the YAML's node tree. A problem whose key cannot be found keeps its line
// number.
func namedTypeErrors(data []byte, te *yaml.TypeError) error {
	keys, values := places(data)
	errs := make([]error, 0, len(te.Errors))
	for _, msg := range te.Errors {
		m := typeErrorLine.FindStringSubmatch(msg)
		if m == nil {
			errs = append(errs, errors.New(msg))
			continue
		}
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		text := m[3]
		var path string
		var ok bool
		if f := unknownField.FindStringSubmatch(text); f != nil {
			path, ok = find(keys, func(p place) bool { return p.line == line && p.key == f[1] })
			text = "unknown key"
		} else if col > 0 {
			path, ok = find(values, func(p place) bool { return p.line == line && p.col == col })
		} else if v := cannotDecodeTo.FindStringSubmatch(text); v != nil {
			kind := map[string]yaml.Kind{"seq": yaml.SequenceNode, "map": yaml.MappingNode}[v[1]]
			// The value on that line, of that kind, whose key holds the Go type named: several
			// values can share a line in flow style ({a: [x], b: [y]}).
			path, ok = find(values, func(p place) bool {
				if p.line != line || p.path == "" || typeAt(p.path) != v[3] {
					return false
				}
				if kind == 0 {
					return p.kind == yaml.ScalarNode && p.scalar == v[2]
				}
				return p.kind == kind
			})
			text = fmt.Sprintf("expected %s, got %s", expected(v[3]), got(v[1], v[2]))
		}
		if !ok {
			errs = append(errs, fmt.Errorf("line %d: %s", line, text))
			continue
		}
		errs = append(errs, fmt.Errorf("%s: %s (line %d)", path, text, line))
	}
	return errors.Join(errs...)
}

// expected says in plain words what a Go type of the config holds.
func expected(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "string":
		return "a single value (text)"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]config."):
		return "a list of " + strings.ToLower(strings.TrimPrefix(goType, "[]config.")) + "s"
	case strings.HasPrefix(goType, "[]"):
		return "a list, as in [a, b]"
	case strings.HasPrefix(goType, "map["):
		return "a mapping of names to values, as in {a: x, b: y}"
	case strings.HasPrefix(goType, "config."), strings.HasPrefix(goType, "*config."):
		return "a mapping of keys, as in {key: value}"
	}
	return "a " + goType
}

// got says in plain words what a YAML value of kind tag is.
func got(tag, value string) string {
	switch tag {
	case "str":
		return fmt.Sprintf("the text %q", value)
	case "int", "float":
		return "the number " + value
	case "bool":
		return value
	case "seq":
		return "a list"
	case "map":
		return "a mapping"
	case "null":
		return "nothing"
	}
	return value
}

// checkNumbers finds the numbers of data that decode into the config without an error but not as
// written: a fraction for a whole number (2.5 workers), and NaN or infinity anywhere.
func checkNumbers(data []byte) error {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil || len(root.Content) == 0 {
		return nil
	}
	var errs []error
	var walk func(n *yaml.Node, t reflect.Type, path string)
	walk = func(n *yaml.Node, t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				switch t.Kind() {
				case reflect.Struct:
					if f, ok := fieldByTag(t, k.Value); ok {
						walk(v, f, p)
					}
				case reflect.Map:
					walk(v, t.Elem(), p)
				}
			}
		case yaml.SequenceNode:
			if t.Kind() == reflect.Slice {
				for i, c := range n.Content {
					walk(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
				}
			}
		case yaml.ScalarNode:
			if n.Tag != "!!float" && n.Tag != "!!int" {
				return
			}
			f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
			lower := strings.ToLower(n.Value)
			switch {
			case strings.Contains(lower, "nan") || strings.Contains(lower, "inf"):
				if isNumberKind(t.Kind()) {
					errs = append(errs, fmt.Errorf("%s: %s is not a number a report can use (line %d)", path, n.Value, n.Line))
				}
			case err == nil && isIntKind(t.Kind()) && f != math.Trunc(f):
				errs = append(errs, fmt.Errorf("%s: expected a whole number, got %s (line %d)", path, n.Value, n.Line))
			}
		}
	}
	walk(root.Content[0], reflect.TypeFor[Config](), "")
	return errors.Join(errs...)
}

// fieldByTag returns the type of t's field whose yaml tag is name.
func fieldByTag(t reflect.Type, name string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag == name {
			return f.Type, true
		}
	}
	return nil, false
}

func isIntKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func isNumberKind(k reflect.Kind) bool {
	return isIntKind(k) || k == reflect.Float32 || k == reflect.Float64
}

// pathPart is one step of a key path: a key, or an index in brackets.
var pathPart = regexp.MustCompile(`[^.\[\]]+|\[\d+\]`)

// typeAt names the Go type of the config value at a key path ("stages[2].within"), as yaml's
// errors name it ("config.Duration", "[]string"); "" when the path names no value of Config.
func typeAt(path string) string {
	t := reflect.TypeFor[Config]()
	for _, part := range pathPart.FindAllString(path, -1) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case strings.HasPrefix(part, "["):
			if t.Kind() != reflect.Slice {
				return ""
			}
			t = t.Elem()
		case t.Kind() == reflect.Struct:
			f, ok := fieldByTag(t, part)
			if !ok {
				return ""
			}
			t = f
		case t.Kind() == reflect.Map:
			t = t.Elem()
		default:
			return ""
		}
	}
	return t.String()
}

// withoutKeysOf drops from the problems of validation those of a key that did not decode (see
// decoded): the value validated is then the default, and its problem a consequence.
func withoutKeysOf(validation, decoded error) error {
	if validation == nil || decoded == nil {
		return validation
	}
	bad := map[string]bool{}
	for _, line := range strings.Split(decoded.Error(), "\n") {
		if key, _, ok := strings.Cut(line, ": "); ok {
			bad[key] = true
		}
	}
	var keep []error
	for _, e := range unjoin(validation) {
		if key, _, _ := strings.Cut(e.Error(), ": "); !bad[key] {
			keep = append(keep, e)
		}
	}
	return errors.Join(keep...)
}

// unjoin returns the errors errors.Join joined, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
