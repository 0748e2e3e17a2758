// Package odata parses and evaluates the subset of OData v4 $filter
// expressions accepted by the accounts list operation.
//
// Grammar (keywords, functions and properties are case-sensitive):
//
//	filter   = or EOF
//	or       = and { RWS "or" RWS and }
//	and      = term { RWS "and" RWS term }
//	term     = operand [ RWS cmpOp RWS operand ]
//	operand  = "(" or ")" | function "(" operand { "," operand } ")" | property | string
//	cmpOp    = "eq" | "ne" | "gt" | "ge" | "lt" | "le"
//	function = "contains" | "tolower" | "toupper"
//	property = "id" | "name" | "nickName" | "accountNumber" | "category" | "type"
//	string   = "'" { any byte except "'" | "''" } "'"
//
// Type rules: properties, literals, tolower(string) and toupper(string) are
// strings; contains(string, string), comparisons and and/or are booleans.
// Both comparison operands must be strings, comparisons cannot be chained,
// and a term without a comparison must be boolean.
//
// Whitespace is spaces or tabs. RWS (at least one whitespace character) is
// required on both sides of the keywords eq, ne, gt, ge, lt, le, and, or, so
// "category eq'X'" is rejected; elsewhere (around parentheses, commas and
// function names) whitespace is optional.
package odata

import (
	"fmt"
	"strings"
)

const (
	// MaxLength is the maximum accepted length of a $filter value in bytes.
	MaxLength = 2048
	// MaxDepth is the maximum nesting depth; every parenthesized group and
	// every function call adds one level.
	MaxDepth = 32
)

// Record is a value that a Filter is matched against.
type Record interface {
	// Field returns the value of a property by canonical name: "id",
	// "nickName" (also for "name"), "accountNumber", "category" or "type".
	Field(name string) string
}

// Filter is a parsed $filter expression. A nil *Filter matches everything.
type Filter struct{ root boolExpr }

// Match reports whether r satisfies the filter.
func (f *Filter) Match(r Record) bool { return f == nil || f.root.eval(r) }

// String returns a normalized rendering: single spaces around operator
// keywords, no other whitespace, no redundant parentheses, properties as
// written. It re-parses to an equal Filter and is never longer than the input.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	var b strings.Builder
	f.root.write(&b)
	return b.String()
}

// SyntaxError reports why a $filter value was rejected.
type SyntaxError struct {
	Pos int    // byte offset in the input where the problem was detected
	Msg string // description of the problem
}

// Error implements the error interface.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid $filter at position %d: %s", e.Pos, e.Msg)
}

// properties maps accepted property names to canonical Record field names.
var properties = map[string]string{
	"id":            "id",
	"name":          "nickName",
	"nickName":      "nickName",
	"accountNumber": "accountNumber",
	"category":      "category",
	"type":          "type",
}

// Expression tree. String-valued nodes implement strExpr, boolean-valued
// nodes implement boolExpr; the parser type-checks via these interfaces.
type (
	node    interface{ write(b *strings.Builder) }
	strExpr interface {
		node
		str(r Record) string
	}
	boolExpr interface {
		node
		eval(r Record) bool
	}
)

type literal string // string literal (unescaped value)

type property struct{ name, canon string } // name as written, canonical field

type caseFunc struct { // tolower(arg) or toupper(arg)
	upper bool
	arg   strExpr
}

type contains struct{ s, sub strExpr } // contains(s, sub)

type comparison struct { // l op r
	op   string
	l, r strExpr
}

type logical struct { // l and r, l or r
	or   bool
	l, r boolExpr
}

func (l literal) str(Record) string    { return string(l) }
func (p property) str(r Record) string { return r.Field(p.canon) }

func (c caseFunc) str(r Record) string {
	if c.upper {
		return strings.ToUpper(c.arg.str(r))
	}
	return strings.ToLower(c.arg.str(r))
}

func (c contains) eval(r Record) bool { return strings.Contains(c.s.str(r), c.sub.str(r)) }

func (c comparison) eval(r Record) bool {
	l, rv := c.l.str(r), c.r.str(r)
	switch c.op {
	case "eq":
		return l == rv
	case "ne":
		return l != rv
	case "gt":
		return l > rv
	case "ge":
		return l >= rv
	case "lt":
		return l < rv
	default: // "le"
		return l <= rv
	}
}

func (l logical) eval(r Record) bool {
	if l.or {
		return l.l.eval(r) || l.r.eval(r)
	}
	return l.l.eval(r) && l.r.eval(r)
}

func (l literal) write(b *strings.Builder) {
	b.WriteByte('\'')
	b.WriteString(strings.ReplaceAll(string(l), "'", "''"))
	b.WriteByte('\'')
}

func (p property) write(b *strings.Builder) { b.WriteString(p.name) }

func (c caseFunc) write(b *strings.Builder) {
	if c.upper {
		b.WriteString("toupper(")
	} else {
		b.WriteString("tolower(")
	}
	c.arg.write(b)
	b.WriteByte(')')
}

func (c contains) write(b *strings.Builder) {
	b.WriteString("contains(")
	c.s.write(b)
	b.WriteByte(',')
	c.sub.write(b)
	b.WriteByte(')')
}

func (c comparison) write(b *strings.Builder) {
	c.l.write(b)
	b.WriteString(" " + c.op + " ")
	c.r.write(b)
}

// write parenthesizes an operand only where precedence or left-associativity
// requires it, so the rendering parses back to the same tree.
func (l logical) write(b *strings.Builder) {
	p := precedence(l)
	writeGrouped(b, l.l, precedence(l.l) < p)
	if l.or {
		b.WriteString(" or ")
	} else {
		b.WriteString(" and ")
	}
	writeGrouped(b, l.r, precedence(l.r) <= p)
}

func precedence(e boolExpr) int {
	if l, ok := e.(logical); ok {
		if l.or {
			return 1
		}
		return 2
	}
	return 3
}

func writeGrouped(b *strings.Builder, e boolExpr, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	e.write(b)
	if paren {
		b.WriteByte(')')
	}
}
