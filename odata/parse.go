package odata

import (
	"fmt"
	"strings"
)

type kind uint8

const (
	tEOF kind = iota
	tWord
	tString
	tLParen
	tRParen
	tComma
	tErr // unterminated string literal; always the last token
)

type token struct {
	kind kind
	pos  int
	text string // raw word or punctuation, decoded string value, or error message
	sp   bool   // preceded by whitespace
}

// lex splits s into tokens. A word is any run of bytes other than
// whitespace, parentheses, commas and quotes; the parser classifies it.
func lex(s string) []token {
	var toks []token
	for i := 0; ; {
		start := i
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		t := token{pos: i, sp: i > start}
		if i == len(s) {
			return append(toks, t) // tEOF
		}
		switch s[i] {
		case '(', ')', ',':
			t.kind, t.text = punctuation[s[i]], s[i:i+1]
			i++
		case '\'':
			var b strings.Builder
			for i++; ; {
				j := strings.IndexByte(s[i:], '\'')
				if j < 0 {
					t.kind, t.text = tErr, "unterminated string literal"
					return append(toks, t)
				}
				b.WriteString(s[i : i+j])
				i += j + 1
				if i == len(s) || s[i] != '\'' {
					break
				}
				b.WriteByte('\'') // doubled quote
				i++
			}
			t.kind, t.text = tString, b.String()
		default:
			for i < len(s) && !strings.ContainsRune(" \t(),'", rune(s[i])) {
				i++
			}
			t.kind, t.text = tWord, s[t.pos:i]
		}
		toks = append(toks, t)
	}
}

var (
	punctuation = map[byte]kind{'(': tLParen, ')': tRParen, ',': tComma}
	functions   = map[string]int{"contains": 2, "tolower": 1, "toupper": 1} // name → arity
	comparisons = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true}
)

type parser struct {
	d     *Dialect
	toks  []token
	i     int
	depth int
}

// Parse parses a $filter value of the accounts list (dialect Accounts). All errors are of type
// *SyntaxError.
func Parse(filter string) (*Filter, error) { return Accounts.Parse(filter) }

// Parse parses a $filter value in the dialect. All errors are of type *SyntaxError.
func (d *Dialect) Parse(filter string) (*Filter, error) {
	if len(filter) > MaxLength {
		return nil, errorf(MaxLength, "filter longer than %d bytes", MaxLength)
	}
	p := &parser{d: d, toks: lex(filter)}
	if t := p.peek(); t.kind == tEOF {
		return nil, errorf(t.pos, "empty filter")
	}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, unexpected(t, `"and", "or" or end of filter`)
	}
	return &Filter{root}, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

// next consumes a token; the final token (EOF or error) is never passed.
func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) peekWord(match func(string) bool) bool {
	t := p.peek()
	return t.kind == tWord && match(t.text)
}

func (p *parser) and() (boolExpr, error) { return p.logical("and", p.term) }

// or parses an or-chain, or, in a dialect without "or", an and-chain that must not be followed
// by one.
func (p *parser) or() (boolExpr, error) {
	if p.d.Or {
		return p.logical("or", p.and)
	}
	e, err := p.and()
	if err == nil && p.peekWord(func(w string) bool { return w == "or" }) {
		return nil, errorf(p.peek().pos, `unsupported operator "or"`)
	}
	return e, err
}

// logical parses a left-associative chain of operands joined by keyword op.
func (p *parser) logical(op string, operand func() (boolExpr, error)) (boolExpr, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for p.peekWord(func(w string) bool { return w == op }) {
		if _, err := p.operator(); err != nil {
			return nil, err
		}
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = logical{or: op == "or", l: l, r: r}
	}
	return l, nil
}

// operator consumes an operator keyword, which must be surrounded by whitespace.
func (p *parser) operator() (string, error) {
	t := p.next()
	if !t.sp {
		return "", errorf(t.pos, "missing whitespace before %q", t.text)
	}
	if n := p.peek(); n.kind != tEOF && !n.sp {
		return "", errorf(n.pos, "missing whitespace after %q", t.text)
	}
	return t.text, nil
}

// term parses a comparison or a condition operand.
func (p *parser) term() (boolExpr, error) {
	lt := p.peek()
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	if !p.peekWord(isComparison) {
		if b, ok := l.(boolExpr); ok {
			return b, nil
		}
		return nil, unexpected(p.peek(), "comparison operator after "+kindOf(l))
	}
	ot := p.peek()
	op, err := p.operator()
	if err != nil {
		return nil, err
	}
	if !p.d.allows(op) {
		return nil, errorf(ot.pos, "unsupported operator %q", op)
	}
	lv, ok := l.(valueExpr)
	if !ok {
		return nil, errorf(lt.pos, "left operand of %q must be %s", op, p.valueKind())
	}
	rt := p.peek()
	r, err := p.operand()
	if err != nil {
		return nil, err
	}
	rv, ok := r.(valueExpr)
	if !ok {
		return nil, errorf(rt.pos, "right operand of %q must be %s", op, p.valueKind())
	}
	if lv.typ() != rv.typ() {
		return nil, errorf(rt.pos, "operands of %q are a %s and a %s", op, lv.typ(), rv.typ())
	}
	if lv.typ() == Boolean && op != "eq" && op != "ne" {
		return nil, errorf(ot.pos, "%q does not compare booleans", op)
	}
	if p.peekWord(isComparison) {
		return nil, errorf(p.peek().pos, "comparison operators cannot be chained")
	}
	return comparison{op, lv, rv}, nil
}

// valueKind names what a comparison operand may be in the dialect, for messages.
func (p *parser) valueKind() string {
	if p.d.Booleans {
		return "a string or boolean value"
	}
	return "a string expression"
}

// kindOf names a value operand for messages.
func kindOf(n node) string {
	if v, ok := n.(valueExpr); ok && v.typ() == Boolean {
		return "boolean value"
	}
	return "string expression"
}

func isComparison(w string) bool { return comparisons[w] }

// operand parses a parenthesized group, function call, property or literal.
func (p *parser) operand() (node, error) {
	t := p.next()
	w := t.text
	switch {
	case t.kind == tString:
		return literal(w), nil
	case t.kind == tLParen:
		return p.group(t)
	case t.kind != tWord || w == "and" || w == "or" || comparisons[w]:
		return nil, unexpected(t, "property, function or string literal")
	case p.d.Properties[w] != Property{}:
		prop := p.d.Properties[w]
		return property{name: w, field: prop.Field, t: prop.Type}, nil
	case (w == "true" || w == "false") && p.d.Booleans:
		return boolLiteral(w == "true"), nil
	case w == "not":
		return nil, errorf(t.pos, `unsupported operator "not"`)
	case functions[w] > 0 || p.peek().kind == tLParen:
		return p.call(t)
	case w == "true" || w == "false" || w == "null":
		return nil, errorf(t.pos, "unsupported literal %q", w)
	case strings.ContainsAny(w[:1], "0123456789+-."):
		return nil, errorf(t.pos, "unsupported number literal %q", truncate(w))
	default:
		return nil, errorf(t.pos, "unknown property %q", truncate(w))
	}
}

// group parses the rest of a parenthesized expression opened by t.
func (p *parser) group(t token) (node, error) {
	if err := p.enter(t); err != nil {
		return nil, err
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if c := p.next(); c.kind != tRParen {
		return nil, unexpected(c, `"and", "or" or ")"`)
	}
	p.depth--
	return e, nil
}

// call parses the argument list of the function named by t.
func (p *parser) call(t token) (node, error) {
	arity, ok := functions[t.text]
	if !ok || !p.d.Functions {
		return nil, errorf(t.pos, "unsupported function %q", truncate(t.text))
	}
	if c := p.next(); c.kind != tLParen {
		return nil, unexpected(c, `"(" after `+t.text)
	}
	if err := p.enter(t); err != nil {
		return nil, err
	}
	var args []valueExpr
	for p.peek().kind != tRParen {
		if len(args) > 0 {
			if c := p.next(); c.kind != tComma {
				return nil, unexpected(c, `"," or ")"`)
			}
		}
		at := p.peek()
		a, err := p.operand()
		if err != nil {
			return nil, err
		}
		s, ok := a.(valueExpr)
		if !ok || s.typ() != String {
			return nil, errorf(at.pos, "argument of %s must be a string expression", t.text)
		}
		args = append(args, s)
	}
	p.next() // ")"
	p.depth--
	if len(args) != arity {
		return nil, errorf(t.pos, "%s takes %d argument(s), got %d", t.text, arity, len(args))
	}
	if t.text == "contains" {
		return contains{args[0], args[1]}, nil
	}
	return caseFunc{upper: t.text == "toupper", arg: args[0]}, nil
}

// enter records one more nesting level opened by token t.
func (p *parser) enter(t token) error {
	if p.depth++; p.depth > MaxDepth {
		return errorf(t.pos, "expression nested deeper than %d levels", MaxDepth)
	}
	return nil
}

func errorf(pos int, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// unexpected reports that t was found where want was expected.
func unexpected(t token, want string) error {
	found := "end of filter"
	switch t.kind {
	case tErr:
		return &SyntaxError{Pos: t.pos, Msg: t.text}
	case tString:
		found = "string literal"
	case tWord, tLParen, tRParen, tComma:
		found = fmt.Sprintf("%q", truncate(t.text))
	}
	return errorf(t.pos, "expected %s, found %s", want, found)
}

// truncate shortens echoed input to at most 20 characters.
func truncate(s string) string {
	n := 0
	for i := range s {
		if n == 20 {
			return s[:i] + "..."
		}
		n++
	}
	return s
}
