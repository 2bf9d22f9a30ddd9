// Package expression compiles and evaluates the config's row expressions (source.derive and
// source.where) with expr-lang/expr: compiled once, checked against the source's column types,
// evaluated row by row with null inputs giving null.
package expression
