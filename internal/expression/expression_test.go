package expression

import (
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct {
		src  string
		kind Kind
		text bool
		want string // fragment of the error; "" means no error
	}{
		{"Quantity * UnitPrice", Value, false, ""},
		{"float(Quantity) * float(UnitPrice)", Value, true, ""},
		{"Quantity * UnitPrice", Value, true, "Quantity, UnitPrice are text here"},
		{"Quantity * 2", Value, true, "read a number with float(Quantity)"},
		{"'purchase'", Value, true, ""},
		{"CustomerID != nil && !(InvoiceNo startsWith 'C')", Condition, true, ""},
		{"InvoiceNo startsWith 'C'", Condition, false, ""},
		{"Quantity *", Value, false, "at column"},
		{"flaot(Quantity)", Value, false, "unknown function flaot"},
		{"now()", Value, false, "now"},
		{"", Value, false, "empty expression"},
		{"'a' * 2", Value, false, "mismatched types"},
		{"Country", Condition, true, "expected bool"},
		{"$env[col]", Value, false, "$env needs a column name"},
		{"let x = Quantity; x", Value, true, ""},
	} {
		_, err := Compile(c.src, c.kind, c.text, "UTC")
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.src, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: error %v, want it to say %q", c.src, err, c.want)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Errorf("%q: error is not one line: %q", c.src, err)
		}
	}
}

func TestColumns(t *testing.T) {
	for src, want := range map[string]string{
		"Quantity * UnitPrice":                  "Quantity UnitPrice",
		"float(a) + float($env['Customer ID'])": "Customer ID a",
		"let x = b; x * b":                      "b",
		"'purchase'":                            "",
		"upper(trim(c)) in ['A', 'B']":          "c",
	} {
		p, err := Compile(src, Value, false, "UTC")
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if got := strings.Join(p.Columns(), " "); got != want {
			t.Errorf("%q reads %q, want %q", src, got, want)
		}
	}
}

func TestBindAndEval(t *testing.T) {
	for _, c := range []struct {
		src   string
		kind  Kind
		types map[string]Type
		vals  []any
		want  any
		out   Type
	}{
		{"Quantity * UnitPrice", Value, map[string]Type{"Quantity": Int, "UnitPrice": Float}, []any{6, 2.55}, mul(6, 2.55), Float},
		{"float(Quantity) * float(UnitPrice)", Value, map[string]Type{"Quantity": String, "UnitPrice": String}, []any{"6", "2.55"}, mul(6, 2.55), Float},
		{"Quantity * UnitPrice", Value, map[string]Type{"Quantity": Int, "UnitPrice": Float}, []any{nil, 2.55}, nil, Float},
		{"(Quantity ?? 1) * UnitPrice", Value, map[string]Type{"Quantity": Int, "UnitPrice": Float}, []any{nil, 2.0}, 2.0, Float},
		{"CustomerID != nil && !(InvoiceNo startsWith 'C')", Condition, map[string]Type{"CustomerID": String, "InvoiceNo": String}, []any{"17850.0", "C536379"}, false, Bool},
		{"CustomerID != nil && !(InvoiceNo startsWith 'C')", Condition, map[string]Type{"CustomerID": String, "InvoiceNo": String}, []any{nil, "536379"}, false, Bool},
		{"InvoiceNo startsWith 'C'", Condition, map[string]Type{"InvoiceNo": String}, []any{nil}, nil, Bool},
		{"'purchase'", Value, map[string]Type{}, nil, "purchase", String},
		{"string(id)", Value, map[string]Type{"id": Int}, []any{7}, "7", String},
	} {
		p, err := Compile(c.src, c.kind, false, "UTC")
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		b, err := p.Bind(c.types)
		if err != nil {
			t.Fatalf("%q: bind: %v", c.src, err)
		}
		if b.Out() != c.out {
			t.Errorf("%q: out %v, want %v", c.src, b.Out(), c.out)
		}
		got, err := b.NewEvaluator().Eval(c.vals)
		if err != nil {
			t.Fatalf("%q %v: %v", c.src, c.vals, err)
		}
		if got != c.want {
			t.Errorf("%q %v = %v (%T), want %v", c.src, c.vals, got, got, c.want)
		}
	}
}

func TestBindErrors(t *testing.T) {
	p, err := Compile("Quantity * Price", Value, false, "UTC")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Bind(map[string]Type{"Quantity": Int, "UnitPrice": Float})
	if err == nil || !strings.Contains(err.Error(), `no column "Price" (it has "Quantity", "UnitPrice")`) {
		t.Errorf("missing column: %v", err)
	}
	p, _ = Compile("Quantity * 2", Value, false, "UTC")
	_, err = p.Bind(map[string]Type{"Quantity": String})
	if err == nil || !strings.Contains(err.Error(), "float(Quantity)") {
		t.Errorf("text column: %v", err)
	}
	p, _ = Compile("Quantity > 2", Value, false, "UTC")
	if _, err = p.Bind(map[string]Type{"Quantity": Int}); err == nil || !strings.Contains(err.Error(), "true or false") {
		t.Errorf("bool value: %v", err)
	}
	p, _ = Compile("float(x)", Value, false, "UTC")
	b, _ := p.Bind(map[string]Type{"x": String})
	if _, err := b.NewEvaluator().Eval([]any{"abc"}); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("bad number: %v", err)
	}
}

// mul multiplies at run time, as the expression does (a constant product would be exact).
func mul(a, b float64) float64 { return a * b }
