package expression

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Kind says what an expression must give.
type Kind uint8

const (
	// Value is a computed column (source.derive): any value; nil is null.
	Value Kind = iota
	// Condition is a row filter (source.where): true keeps the row.
	Condition
)

// Type is the type of a source column as expressions see it.
type Type uint8

// The column types. Every integer is an Int, every floating-point or decimal number a Float,
// every text (CSV and NDJSON columns, Parquet strings) a String, timestamps and dates a Time.
const (
	Unknown Type = iota
	Int
	Float
	String
	Bool
	Time
)

func (t Type) String() string {
	return [...]string{"unknown", "integer", "number", "text", "true/false", "time"}[t]
}

// zero is a value of t, which declares a column of type t to the compiler.
func (t Type) zero() any {
	switch t {
	case Int:
		return 0
	case Float:
		return 0.0
	case Bool:
		return false
	case Time:
		return time.Time{}
	}
	return ""
}

// Program is one expression of the config, parsed and checked. It is safe for concurrent use.
type Program struct {
	src     string
	kind    Kind
	loc     string
	columns []string
	// nilAware says the expression speaks of nil itself (nil, ??, ?.): it then sees null columns
	// as nil. Otherwise a row with a null in a column it reads gives null without evaluating.
	nilAware bool
}

// options are the compiler options every program is built with. now() is disabled: an
// expression must give the same value for the same row on every run.
func options(kind Kind, loc string) []expr.Option {
	opts := []expr.Option{expr.DisableBuiltin("now"), expr.Timezone(loc)}
	if kind == Condition {
		opts = append(opts, expr.AsBool())
	}
	return opts
}

// Compile parses src and checks it. When every source column is known to be text (CSV and
// NDJSON files), text says so and the types are checked now; otherwise they are checked by
// Bind, when the source's column types are known. loc names the zone date() reads times in. The
// error is one line: the problem, where it is, and for text columns used as numbers, what to
// write instead.
func Compile(src string, kind Kind, text bool, loc string) (*Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("empty expression")
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, oneLine(src, err)
	}
	p := &Program{src: src, kind: kind, loc: loc}
	var v refs
	ast.Walk(&tree.Node, &v)
	if v.dynamic {
		return nil, fmt.Errorf("%q: $env needs a column name in quotes, as in $env['Customer ID']", src)
	}
	if len(v.calls) > 0 {
		return nil, fmt.Errorf("%q: unknown function %s", src, v.calls[0])
	}
	p.columns, p.nilAware = v.columns, v.nilAware
	if text {
		types := make(map[string]Type, len(p.columns))
		for _, c := range p.columns {
			types[c] = String
		}
		if _, err := p.Bind(types); err != nil {
			return nil, err
		}
		return p, nil
	}
	opts := append(options(kind, loc), expr.AllowUndefinedVariables())
	if _, err := expr.Compile(src, opts...); err != nil {
		return nil, oneLine(src, err)
	}
	return p, nil
}

// String returns the expression's text.
func (p *Program) String() string { return p.src }

// Columns returns the source columns the expression reads, sorted.
func (p *Program) Columns() []string { return slices.Clone(p.columns) }

// Bind compiles the expression for the column types of one source. A column it reads that is not
// in types is an error that lists the columns there are.
func (p *Program) Bind(types map[string]Type) (*Bound, error) {
	env := make(map[string]any, len(p.columns))
	for _, c := range p.columns {
		t, ok := types[c]
		if !ok {
			have := make([]string, 0, len(types))
			for n := range types {
				have = append(have, n)
			}
			slices.Sort(have)
			return nil, fmt.Errorf("%q: the source has no column %q (it has %s)", p.src, c, quoteList(have))
		}
		env[c] = t.zero()
	}
	opts := append(options(p.kind, p.loc), expr.Env(env))
	prog, err := expr.Compile(p.src, opts...)
	if err != nil {
		err = oneLine(p.src, err)
		if hint := textHint(p.columns, types, err); hint != "" {
			err = fmt.Errorf("%w (%s)", err, hint)
		}
		return nil, err
	}
	b := &Bound{p: p, prog: prog, out: typeOf(prog.Node().Type())}
	if p.kind == Value && b.out == Bool {
		return nil, fmt.Errorf("%q gives true or false, not a value", p.src)
	}
	if len(p.columns) == 0 {
		v, err := expr.Run(prog, env)
		if err != nil {
			return nil, oneLine(p.src, err)
		}
		b.constant, b.value = true, v
	}
	return b, nil
}

// textHint suggests converting text columns when the error is an operation on text.
func textHint(columns []string, types map[string]Type, err error) string {
	if !strings.Contains(err.Error(), "mismatched types string") && !strings.Contains(err.Error(), "and string)") {
		return ""
	}
	var text []string
	for _, c := range columns {
		if types[c] == String {
			text = append(text, c)
		}
	}
	if len(text) == 0 {
		return ""
	}
	return fmt.Sprintf("%s %s text here, as every column of a CSV or NDJSON file is: read a number with float(%s) or int(%s)",
		strings.Join(text, ", "), map[bool]string{true: "is", false: "are"}[len(text) == 1], text[0], text[0])
}

// typeOf maps a checked expression's Go type onto Type; Unknown when it is only known per row.
func typeOf(t reflect.Type) Type {
	if t == nil {
		return Unknown
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Int
	case reflect.Float32, reflect.Float64:
		return Float
	case reflect.String:
		return String
	case reflect.Bool:
		return Bool
	}
	if t == reflect.TypeFor[time.Time]() {
		return Time
	}
	return Unknown
}

// Bound is a Program compiled for one source's column types. It is safe for concurrent use;
// evaluate it with an Evaluator per goroutine.
type Bound struct {
	p        *Program
	prog     *vm.Program
	out      Type
	constant bool
	value    any
}

// Out is the type every value has, or Unknown when it depends on the row.
func (b *Bound) Out() Type { return b.out }

// Constant returns the expression's value when it reads no column.
func (b *Bound) Constant() (any, bool) { return b.value, b.constant }

// Columns returns the source columns the expression reads, sorted: the order of Eval's values.
func (b *Bound) Columns() []string { return b.p.columns }

// String returns the expression's text.
func (b *Bound) String() string { return b.p.src }

// Evaluator evaluates a Bound expression row by row. It reuses its memory between rows and is
// not safe for concurrent use.
type Evaluator struct {
	b   *Bound
	env map[string]any
	m   vm.VM
}

// NewEvaluator returns an evaluator of b.
func (b *Bound) NewEvaluator() *Evaluator {
	return &Evaluator{b: b, env: make(map[string]any, len(b.p.columns))}
}

// Eval evaluates the expression for one row, vals being its columns' values in Columns order
// (nil for null, else int, float64, string, bool or time.Time as the column's Type says). A row
// with a null in a column the expression reads gives nil unless the expression speaks of nil
// itself. For a Condition the value is a bool or nil. The error is one line.
func (e *Evaluator) Eval(vals []any) (any, error) {
	b := e.b
	if b.constant {
		return b.value, nil
	}
	for i, c := range b.p.columns {
		if vals[i] == nil && !b.p.nilAware {
			return nil, nil
		}
		e.env[c] = vals[i]
	}
	v, err := e.m.Run(b.prog, e.env)
	if err != nil {
		return nil, oneLine(b.p.src, err)
	}
	return v, nil
}

// oneLine makes an expr error one line: its message and column, without the source snippet that
// expr draws under it.
func oneLine(src string, err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		if fe.Snippet != "" || fe.Column > 0 {
			return fmt.Errorf("%q: %s (at column %d)", src, fe.Message, fe.Column+1)
		}
		return fmt.Errorf("%q: %s", src, fe.Message)
	}
	return fmt.Errorf("%q: %s", src, strings.ReplaceAll(err.Error(), "\n", " "))
}

// refs collects what an expression refers to: the columns it reads, calls of functions that do
// not exist, and whether it speaks of nil.
type refs struct {
	columns  []string
	calls    []string
	declared map[string]bool
	nilAware bool
	dynamic  bool
}

// Visit implements ast.Visitor. The walk visits children before their parent, so a call's
// callee and a let variable are first taken for columns, then dropped when the parent is seen.
func (r *refs) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.NilNode:
		r.nilAware = true
	case *ast.BinaryNode:
		if n.Operator == "??" {
			r.nilAware = true
		}
	case *ast.MemberNode:
		if n.Optional {
			r.nilAware = true
		}
		if id, ok := n.Node.(*ast.IdentifierNode); ok && id.Value == "$env" {
			s, ok := n.Property.(*ast.StringNode)
			if !ok {
				r.dynamic = true
				return
			}
			r.add(s.Value)
		}
	case *ast.BuiltinNode:
		if n.Name == "now" {
			r.calls = append(r.calls, "now (a report gives the same numbers on every run, so it reads no clock)")
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			r.calls = append(r.calls, id.Value)
			r.drop(id.Value)
		}
	case *ast.VariableDeclaratorNode:
		if r.declared == nil {
			r.declared = map[string]bool{}
		}
		r.declared[n.Name] = true
		r.drop(n.Name)
	case *ast.IdentifierNode:
		if n.Value != "$env" && !r.declared[n.Value] {
			r.add(n.Value)
		}
	}
}

func (r *refs) add(c string) {
	if i, found := slices.BinarySearch(r.columns, c); !found {
		r.columns = slices.Insert(r.columns, i, c)
	}
}

func (r *refs) drop(c string) {
	if i, found := slices.BinarySearch(r.columns, c); found {
		r.columns = slices.Delete(r.columns, i, i+1)
	}
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
