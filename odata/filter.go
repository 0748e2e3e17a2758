// Package odata parses and evaluates the subsets of OData v4 $filter and $expand that the
// service accepts. A Dialect says which part of $filter one operation takes: its properties and
// their types, its comparison operators, whether "or", functions and boolean literals are
// allowed. Accounts is the accounts list's dialect (Parse uses it); the institution users'
// $expand segments have dialects of their own (ParseExpand).
//
// Grammar of $filter (keywords, functions and properties are case-sensitive):
//
//	filter   = or EOF
//	or       = and { RWS "or" RWS and }
//	and      = term { RWS "and" RWS term }
//	term     = operand [ RWS cmpOp RWS operand ]
//	operand  = "(" or ")" | function "(" operand { "," operand } ")" | property | string | boolean
//	cmpOp    = "eq" | "ne" | "gt" | "ge" | "lt" | "le"
//	function = "contains" | "tolower" | "toupper"
//	property = one of the dialect's properties
//	string   = "'" { any byte except "'" | "''" } "'"
//	boolean  = "true" | "false"
//
// A dialect narrows this: operators, "or", functions and boolean literals it does not allow are
// rejected by name ("unsupported operator").
//
// Type rules: string properties, string literals, tolower(string) and toupper(string) are
// strings; boolean properties and literals are booleans; contains(string, string), comparisons
// and and/or are conditions. Both comparison operands must be values of the same type (booleans
// compare only with eq and ne), comparisons cannot be chained, and a term without a comparison
// must be a condition.
//
// Whitespace is spaces or tabs. RWS (at least one whitespace character) is
// required on both sides of the keywords eq, ne, gt, ge, lt, le, and, or, so
// "category eq'X'" is rejected; elsewhere (around parentheses, commas and
// function names) whitespace is optional.
package odata

import (
	"fmt"
	"slices"
	"strings"
)

const (
	// MaxLength is the maximum accepted length of a $filter (or $expand) value in bytes.
	MaxLength = 2048
	// MaxDepth is the maximum nesting depth; every parenthesized group and
	// every function call adds one level.
	MaxDepth = 32
)

// Type is the type of a property or literal.
type Type uint8

// Types of values.
const (
	String Type = iota
	Boolean
)

func (t Type) String() string {
	if t == Boolean {
		return "boolean"
	}
	return "string"
}

// Property is a property a dialect filters on: the Record field it reads and its type.
type Property struct {
	Field string
	Type  Type
}

// Dialect is the part of OData $filter one operation accepts.
type Dialect struct {
	Properties  map[string]Property // by name as written
	Comparisons []string            // the comparison operators allowed (eq, ne, gt, ge, lt, le)
	Or          bool                // "or" allowed
	Functions   bool                // contains, tolower and toupper allowed
	Booleans    bool                // the literals true and false allowed
}

// Accounts is the dialect of the accounts list's $filter: string properties, every comparison,
// and, or, contains, tolower and toupper; no boolean literals.
var Accounts = &Dialect{
	Properties: map[string]Property{
		"id":            {Field: "id"},
		"name":          {Field: "nickName"},
		"nickName":      {Field: "nickName"},
		"accountNumber": {Field: "accountNumber"},
		"category":      {Field: "category"},
		"type":          {Field: "type"},
	},
	Comparisons: []string{"eq", "ne", "gt", "ge", "lt", "le"},
	Or:          true,
	Functions:   true,
}

// EqualityDialect is a dialect of eq, and, parentheses, string and boolean literals over props,
// the subset the institution users' $expand filters publish.
func EqualityDialect(props map[string]Property) *Dialect {
	return &Dialect{Properties: props, Comparisons: []string{"eq"}, Booleans: true}
}

func (d *Dialect) allows(op string) bool { return slices.Contains(d.Comparisons, op) }

// Record is a value that a Filter is matched against.
type Record interface {
	// Field returns the value of a property by its Record field name (Property.Field): for
	// accounts "id", "nickName" (also for "name"), "accountNumber", "category" or "type".
	// A boolean is "true" or "false"; an absent value is "", which equals no literal, as
	// OData's null.
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

// SyntaxError reports why a $filter or $expand value was rejected.
type SyntaxError struct {
	Pos int    // byte offset in the input where the problem was detected
	Msg string // description of the problem
	In  string // the query option: "$filter" when empty, or "$expand"
}

// Error implements the error interface.
func (e *SyntaxError) Error() string {
	in := e.In
	if in == "" {
		in = "$filter"
	}
	return fmt.Sprintf("invalid %s at position %d: %s", in, e.Pos, e.Msg)
}

// Expression tree. Value nodes (strings and booleans) implement valueExpr,
// condition nodes implement boolExpr; the parser type-checks via these interfaces.
type (
	node      interface{ write(b *strings.Builder) }
	valueExpr interface {
		node
		value(r Record) string
		typ() Type
	}
	boolExpr interface {
		node
		eval(r Record) bool
	}
)

type literal string // string literal (unescaped value)

type boolLiteral bool

type property struct { // name as written, Record field, type
	name, field string
	t           Type
}

type caseFunc struct { // tolower(arg) or toupper(arg)
	upper bool
	arg   valueExpr
}

type contains struct{ s, sub valueExpr } // contains(s, sub)

type comparison struct { // l op r
	op   string
	l, r valueExpr
}

type logical struct { // l and r, l or r
	or   bool
	l, r boolExpr
}

func (l literal) value(Record) string { return string(l) }
func (literal) typ() Type             { return String }

func (l boolLiteral) value(Record) string {
	if l {
		return "true"
	}
	return "false"
}
func (boolLiteral) typ() Type { return Boolean }

func (p property) value(r Record) string { return r.Field(p.field) }
func (p property) typ() Type             { return p.t }

func (c caseFunc) value(r Record) string {
	if c.upper {
		return strings.ToUpper(c.arg.value(r))
	}
	return strings.ToLower(c.arg.value(r))
}
func (caseFunc) typ() Type { return String }

func (c contains) eval(r Record) bool { return strings.Contains(c.s.value(r), c.sub.value(r)) }

func (c comparison) eval(r Record) bool {
	l, rv := c.l.value(r), c.r.value(r)
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

func (l boolLiteral) write(b *strings.Builder) { b.WriteString(l.value(nil)) }

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
