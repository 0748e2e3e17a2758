package odata

import (
	"fmt"
	"strings"
)

// Grammar of $expand (segment names are case-sensitive):
//
//	expand  = item { "," item } EOF
//	item    = OWS segment [ "(" "$filter=" filter ")" ] OWS
//	segment = one of the segments given to ParseExpand
//
// OWS is optional whitespace (spaces or tabs). The filter is parsed in its segment's dialect;
// it ends at the ")" that closes the item, parentheses and quotes inside it counted. No other
// query option ($select, a nested $expand, …) is accepted inside the parentheses, and no segment
// may be expanded twice (an alias counts as its segment).

// Segment is an $expand segment: its canonical name and the dialect of its $filter.
type Segment struct {
	Name   string
	Filter *Dialect
}

// Expanded is one item of a parsed $expand.
type Expanded struct {
	Segment string  // the canonical segment name
	Filter  *Filter // nil without $filter (matches everything)
}

// Expansion is a parsed $expand, items in the order written.
type Expansion []Expanded

// Has reports whether the segment was expanded, and its filter.
func (e Expansion) Has(segment string) (bool, *Filter) {
	for _, x := range e {
		if x.Segment == segment {
			return true, x.Filter
		}
	}
	return false, nil
}

// ParseExpand parses an $expand value. segments maps every accepted name as written (aliases
// included) to its segment. All errors are of type *SyntaxError with In "$expand" and a position
// in s; an error inside a segment's $filter says so.
func ParseExpand(s string, segments map[string]Segment) (Expansion, error) {
	if len(s) > MaxLength {
		return nil, expandError(MaxLength, "longer than %d bytes", MaxLength)
	}
	var out Expansion
	i := 0
	for {
		i = skipSpace(s, i)
		start := i
		for i < len(s) && isNameByte(s[i]) {
			i++
		}
		name := s[start:i]
		seg, ok := segments[name]
		switch {
		case name == "" && i == len(s) && len(out) == 0:
			return nil, expandError(i, "empty $expand")
		case name == "":
			return nil, expandError(i, "expected a segment name")
		case !ok:
			return nil, expandError(start, "unknown segment %q", truncate(name))
		}
		if seen, _ := out.Has(seg.Name); seen {
			return nil, expandError(start, "segment %q expanded twice", name)
		}
		item := Expanded{Segment: seg.Name}
		i = skipSpace(s, i)
		if i < len(s) && s[i] == '(' {
			f, end, err := parseOptions(s, i, name, seg)
			if err != nil {
				return nil, err
			}
			item.Filter, i = f, skipSpace(s, end)
		}
		out = append(out, item)
		switch {
		case i == len(s):
			return out, nil
		case s[i] == ',':
			i++
		default:
			return nil, expandError(i, `expected "," or end of $expand, found %q`, s[i:i+1])
		}
	}
}

// filterOption opens the only option an expanded segment takes.
const filterOption = "$filter="

// parseOptions parses "($filter=...)" at s[open] == '(' and returns the filter and the index
// after the closing parenthesis.
func parseOptions(s string, open int, name string, seg Segment) (*Filter, int, error) {
	at := open + 1
	if !strings.HasPrefix(s[at:], filterOption) {
		return nil, 0, expandError(at, "only %s is supported inside %s(...)", filterOption, truncate(name))
	}
	at += len(filterOption)
	end := closing(s, at)
	if end < 0 {
		return nil, 0, expandError(len(s), "%s( is not closed", truncate(name))
	}
	if seg.Filter == nil {
		return nil, 0, expandError(at, "%s cannot be filtered", truncate(name))
	}
	f, err := seg.Filter.Parse(s[at:end])
	if err != nil {
		se := err.(*SyntaxError) // Parse returns only these
		return nil, 0, &SyntaxError{In: "$expand", Pos: at + se.Pos, Msg: "$filter of " + truncate(name) + ": " + se.Msg}
	}
	return f, end + 1, nil
}

// closing returns the index of the ")" that closes a group whose content starts at i, skipping
// parenthesized groups and quoted strings (a doubled quote inside one is a quote), or -1.
func closing(s string, i int) int {
	depth, quoted := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quoted = !quoted // a doubled quote toggles twice
		case quoted:
		case c == '(':
			depth++
		case c == ')' && depth == 0:
			return i
		case c == ')':
			depth--
		}
	}
	return -1
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func expandError(pos int, format string, args ...any) error {
	return &SyntaxError{In: "$expand", Pos: pos, Msg: fmt.Sprintf(format, args...)}
}
