// Package xmlcodec converts between the JSON shape of the legacy banking API
// and its "standard OpenAPI rendering" as XML.
//
// In that rendering every object member becomes a child element of the same
// name, an array member becomes repeated elements bearing the member's name
// (no wrapper element), and scalars become element text. The JSON document is
// an object with a single member whose name is the XML root element.
//
// Marshal writes such XML from any value encoding/json can marshal. Decode
// reads it back into the generic JSON shape (map[string]any, []any, string,
// bool, float64) using an OpenAPI schema to tell arrays, booleans and numbers
// apart, so the result can be validated by kin-openapi like a JSON body.
package xmlcodec

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"gopkg.in/yaml.v3"
)

// MaxDepth is the deepest element nesting Decode accepts (the root is level 1).
const MaxDepth = 64

const (
	xmlHeader      = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
	xmlSpace       = " \t\r\n"
	maxSchemaDepth = 16 // bound on allOf/oneOf/anyOf chasing, guards against cyclic schemas
)

// SyntaxError reports an XML document that is malformed or does not have the
// expected overall structure. Msg never contains text content of the
// document, only element names, so it is safe to log and to return to clients.
type SyntaxError struct {
	Line int    // 1-based line of the problem; 0 when unknown
	Msg  string // short description
}

// Error implements error.
func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("xmlcodec: line %d: %s", e.Line, e.Msg)
	}
	return "xmlcodec: " + e.Msg
}

// ---------------------------------------------------------------- Marshal

// Marshal encodes v as a compact, well-formed XML document whose root element
// is root, carrying xmlns="namespace" when namespace is not empty. The output
// starts with an XML declaration and a newline. v must marshal to a JSON
// object; member order follows the JSON encoding of v, arrays become repeated
// elements, null members are omitted. Member names that are not valid XML
// names (including names with a colon) are an error. Characters that XML
// cannot carry (such as U+0000) are replaced by U+FFFD, as encoding/xml does.
// Nested arrays are flattened into one run of repeated elements.
func Marshal(root, namespace string, v any) ([]byte, error) {
	return MarshalSchema(root, namespace, v, nil, nil)
}

// MarshalSchema is Marshal guided by schema s, the schema of v: the members of
// every object are written in the order its schema lists its properties in
// order (see PropertyOrder), members the schema does not list follow in their
// JSON order. Order-sensitive XML binders (JAXB, XmlSerializer and the like)
// expect the elements in the schema's order; the generated Go types sort their
// fields alphabetically, so the JSON order alone is not it.
func MarshalSchema(root, namespace string, v any, s *openapi3.Schema, order Order) ([]byte, error) {
	if !validName(root) {
		return nil, fmt.Errorf("xmlcodec: root %q is not a valid XML element name", root)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("xmlcodec: %w", err)
	}
	if len(data) == 0 || data[0] != '{' {
		return nil, errors.New("xmlcodec: value to marshal must be a JSON object")
	}
	w := &writer{order: order}
	w.buf.WriteString(xmlHeader)
	w.buf.WriteString("<" + root)
	if namespace != "" {
		w.buf.WriteString(` xmlns="`)
		w.escape(namespace)
		w.buf.WriteString(`"`)
	}
	w.buf.WriteString(">")
	if err := w.members(data, s); err != nil {
		return nil, err
	}
	w.buf.WriteString("</" + root + ">")
	return w.buf.Bytes(), nil
}

type writer struct {
	order Order
	buf   bytes.Buffer
}

// members writes the members of the JSON object raw (schema s), in the schema's
// property order first.
func (w *writer) members(raw json.RawMessage, s *openapi3.Schema) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // '{'
		return fmt.Errorf("xmlcodec: %w", err)
	}
	var keys []string
	vals := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("xmlcodec: %w", err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("xmlcodec: %w", err)
		}
		if _, dup := vals[key]; !dup {
			keys = append(keys, key)
		}
		vals[key] = v
	}
	if s != nil {
		listed := make([]string, 0, len(keys))
		for _, k := range w.order[s] {
			if _, ok := vals[k]; ok {
				listed = append(listed, k)
			}
		}
		for _, k := range keys {
			if !slices.Contains(listed, k) {
				listed = append(listed, k)
			}
		}
		keys = listed
	}
	for _, key := range keys {
		if !validName(key) {
			return fmt.Errorf("xmlcodec: member name %q is not a valid XML element name", key)
		}
		if err := w.value(key, vals[key], propSchema(s, key, 0)); err != nil {
			return err
		}
	}
	return nil
}

// value writes the JSON value raw (schema s) as element(s) called name.
func (w *writer) value(name string, raw json.RawMessage, s *openapi3.Schema) error {
	switch raw[0] {
	case '{':
		w.buf.WriteString("<" + name + ">")
		if err := w.members(raw, s); err != nil {
			return err
		}
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return fmt.Errorf("xmlcodec: %w", err)
		}
		is := itemsOf(s, 0)
		for _, it := range items {
			if err := w.value(name, it, is); err != nil {
				return err
			}
		}
		return nil
	case 'n':
		return nil // null: element omitted
	case '"':
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return fmt.Errorf("xmlcodec: %w", err)
		}
		w.buf.WriteString("<" + name + ">")
		w.escape(str)
	default: // number or boolean, written as JSON spells it
		w.buf.WriteString("<" + name + ">")
		w.buf.Write(raw)
	}
	w.buf.WriteString("</" + name + ">")
	return nil
}

func (w *writer) escape(s string) {
	_ = xml.EscapeText(&w.buf, []byte(s)) // bytes.Buffer never fails
}

// validName reports whether s is a non-empty XML name without a colon that
// encoding/xml (XML 1.0 4th edition name rules) accepts.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80: // rare: let encoding/xml judge non-ASCII names
			tok, err := xml.NewDecoder(strings.NewReader("<" + s + "/>")).RawToken()
			se, ok := tok.(xml.StartElement)
			return err == nil && ok && se.Name.Space == "" && se.Name.Local == s && len(se.Attr) == 0
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
		case i > 0 && ('0' <= c && c <= '9' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------- Decode

// Decode reads one XML document from r and returns its JSON shape,
// e.g. {"FICustomer": {...}}. schema describes that whole JSON document: an
// object whose properties name the accepted root elements. The schema decides
// how elements are read: array properties collect every element of that name
// (even a single one), boolean and number properties get bool and float64
// when the text allows it and keep the raw string otherwise (so validation
// reports the field), strings are kept untrimmed, and elements not in the
// schema are kept as strings or maps (repeated ones as []any). Namespaces and
// attributes are ignored. With a nil schema any root is accepted and every
// leaf is a string. When the schema itself carries xml.name equal to the root
// element (an unwrapped body such as <Status>), the root's content is decoded
// against the schema directly and returned without a wrapper.
//
// Structural problems (malformed XML, DOCTYPE, wrong or multiple roots,
// trailing content, nesting deeper than MaxDepth, mixed content) are reported
// as *SyntaxError. Errors from r itself are returned wrapped, not as
// *SyntaxError.
func Decode(r io.Reader, schema *openapi3.Schema) (map[string]any, error) {
	src := &errReader{r: r}
	p := &parser{d: xml.NewDecoder(src), src: src}
	var out map[string]any
	for {
		tok, err := p.token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if out != nil {
				return nil, p.errorf("more than one root element")
			}
			name := t.Name.Local
			if schema != nil && schema.XML != nil && schema.XML.Name == name {
				// The schema describes the root element itself (xml.name), as for an
				// unwrapped JSON body such as the legacy Status envelope.
				v, err := p.element(t, schema, 1)
				if err != nil {
					return nil, err
				}
				m, _ := v.(map[string]any)
				if m == nil {
					m = map[string]any{}
				}
				out = m
				continue
			}
			var rs *openapi3.Schema
			if schema != nil {
				if rs = propSchema(schema, name, 0); rs == nil {
					return nil, p.errorf("unexpected root element <%s>%s", name, expected(schema))
				}
			}
			v, err := p.element(t, rs, 1)
			if err != nil {
				return nil, err
			}
			out = map[string]any{name: v}
		case xml.CharData:
			if strings.Trim(string(t), xmlSpace) != "" {
				return nil, p.errorf("text outside the root element")
			}
		}
	}
	if out == nil {
		return nil, p.errorf("no root element")
	}
	return out, nil
}

type parser struct {
	d   *xml.Decoder
	src *errReader
}

// token returns the next token; io.EOF only at a clean end of input.
func (p *parser) token() (xml.Token, error) {
	tok, err := p.d.Token()
	if err == io.EOF {
		return nil, err
	}
	if err != nil {
		return nil, p.wrap(err)
	}
	if _, ok := tok.(xml.Directive); ok {
		return nil, p.errorf("DOCTYPE and other directives are not allowed")
	}
	return tok, nil
}

// element decodes the content of start (already read) using schema s.
func (p *parser) element(start xml.StartElement, s *openapi3.Schema, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, p.errorf("elements nested deeper than %d levels", MaxDepth)
	}
	ts := types(s, 0)
	if slices.Contains(ts, "array") { // array directly inside an array
		v, err := p.element(start, itemsOf(s, 0), depth+1)
		if err != nil {
			return nil, err
		}
		return []any{v}, nil
	}
	var text strings.Builder
	var obj map[string]any
	seen := map[string]int{}
	for {
		tok, err := p.token()
		if err == io.EOF {
			return nil, p.errorf("unexpected end of document")
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.StartElement:
			name := t.Name.Local
			cs := propSchema(s, name, 0)
			asArray := slices.Contains(types(cs, 0), "array")
			if asArray {
				cs = itemsOf(cs, 0)
			}
			v, err := p.element(t, cs, depth+1)
			if err != nil {
				return nil, err
			}
			if obj == nil {
				obj = map[string]any{}
			}
			switch {
			case asArray:
				prev, _ := obj[name].([]any)
				obj[name] = append(prev, v)
			case seen[name] == 0:
				obj[name] = v
			case seen[name] == 1:
				obj[name] = []any{obj[name], v}
			default:
				obj[name] = append(obj[name].([]any), v)
			}
			seen[name]++
		case xml.EndElement:
			if obj == nil {
				return scalar(text.String(), ts), nil
			}
			if strings.Trim(text.String(), xmlSpace) != "" {
				return nil, p.errorf("element <%s> mixes text and child elements", start.Name.Local)
			}
			return obj, nil
		}
	}
}

// scalar converts the text of an element without children.
func scalar(text string, ts []string) any {
	if len(ts) == 0 {
		return text
	}
	trimmed := strings.Trim(text, xmlSpace)
	if slices.Contains(ts, "boolean") && (trimmed == "true" || trimmed == "false") {
		return trimmed == "true"
	}
	if slices.Contains(ts, "number") || slices.Contains(ts, "integer") {
		if isJSONNumber(trimmed) {
			if f, err := strconv.ParseFloat(trimmed, 64); err == nil {
				return f
			}
		}
	}
	if slices.Contains(ts, "object") && !slices.Contains(ts, "string") && trimmed == "" {
		return map[string]any{}
	}
	return text
}

// isJSONNumber rejects forms ParseFloat accepts but JSON does not (NaN, Inf, hex).
func isJSONNumber(s string) bool {
	return s != "" && (s[0] == '-' || '0' <= s[0] && s[0] <= '9') && json.Valid([]byte(s))
}

func (p *parser) errorf(format string, args ...any) error {
	line, _ := p.d.InputPos()
	return &SyntaxError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// wrap turns an encoding/xml error into a *SyntaxError whose message cannot
// leak document text, or passes on an error of the underlying reader.
func (p *parser) wrap(err error) error {
	if p.src.err != nil {
		return fmt.Errorf("xmlcodec: reading document: %w", p.src.err)
	}
	line, _ := p.d.InputPos()
	msg := "malformed XML"
	var se *xml.SyntaxError
	switch {
	case errors.As(err, &se):
		line = se.Line
		switch {
		case se.Msg == "unexpected EOF":
			msg = "unexpected end of document"
		case strings.HasPrefix(se.Msg, "element <"), strings.HasPrefix(se.Msg, "unexpected end element"):
			msg = se.Msg // mentions element names only
		}
	case strings.Contains(err.Error(), "CharsetReader"):
		msg = "unsupported character encoding (only UTF-8 is accepted)"
	}
	return &SyntaxError{Line: line, Msg: msg}
}

// errReader remembers a read error so it is not mistaken for bad XML.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// ---------------------------------------------------------------- property order

// Order is the property order of a document's object schemas, as its source
// lists them. kin-openapi keeps properties in a map, so the order is read from
// the source text: the schema's order is the contract's element order.
type Order map[*openapi3.Schema][]string

// PropertyOrder reads, from src (the YAML or JSON text doc was loaded from),
// the order in which every schema under components.schemas lists its
// properties, inline nested schemas (properties, items, allOf/oneOf/anyOf,
// additionalProperties) included. A $ref is ordered where its target is
// defined. doc must have been loaded from src.
func PropertyOrder(src []byte, doc *openapi3.T) (Order, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, fmt.Errorf("xmlcodec: property order: %w", err)
	}
	order := Order{}
	if len(root.Content) == 0 || doc.Components == nil {
		return order, nil
	}
	schemas := child(child(root.Content[0], "components"), "schemas")
	if schemas == nil {
		return order, nil
	}
	for i := 0; i+1 < len(schemas.Content); i += 2 {
		if ref := doc.Components.Schemas[schemas.Content[i].Value]; ref != nil {
			order.walk(schemas.Content[i+1], ref.Value, 0)
		}
	}
	return order, nil
}

func (o Order) walk(n *yaml.Node, s *openapi3.Schema, depth int) {
	if n == nil || s == nil || n.Kind != yaml.MappingNode || child(n, "$ref") != nil || depth > maxSchemaDepth {
		return
	}
	if props := child(n, "properties"); props != nil && props.Kind == yaml.MappingNode {
		names := make([]string, 0, len(props.Content)/2)
		for i := 0; i+1 < len(props.Content); i += 2 {
			name := props.Content[i].Value
			names = append(names, name)
			if r := s.Properties[name]; r != nil {
				o.walk(props.Content[i+1], r.Value, depth+1)
			}
		}
		o[s] = names
	}
	if items := child(n, "items"); items != nil && s.Items != nil {
		o.walk(items, s.Items.Value, depth+1)
	}
	if ap := child(n, "additionalProperties"); ap != nil && s.AdditionalProperties.Schema != nil {
		o.walk(ap, s.AdditionalProperties.Schema.Value, depth+1)
	}
	for key, group := range map[string]openapi3.SchemaRefs{"allOf": s.AllOf, "oneOf": s.OneOf, "anyOf": s.AnyOf} {
		if list := child(n, key); list != nil && list.Kind == yaml.SequenceNode {
			for i, item := range list.Content {
				if i < len(group) && group[i] != nil {
					o.walk(item, group[i].Value, depth+1)
				}
			}
		}
	}
}

// child is the value of key in mapping node n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// ---------------------------------------------------------------- schema helpers

// types lists the non-null JSON types schema s admits, looking through
// allOf/oneOf/anyOf, and inferring "object"/"array" from properties/items.
// nil means unknown.
func types(s *openapi3.Schema, depth int) []string {
	if s == nil || depth > maxSchemaDepth {
		return nil
	}
	var out []string
	for _, t := range s.Type.Slice() {
		if t != openapi3.TypeNull {
			out = append(out, t)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, r := range group {
			if r != nil {
				out = append(out, types(r.Value, depth+1)...)
			}
		}
	}
	if len(out) == 0 {
		switch {
		case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil:
			out = []string{"object"}
		case s.Items != nil:
			out = []string{"array"}
		}
	}
	return out
}

// propSchema returns the schema of member name of object schema s, looking
// at properties, then allOf/oneOf/anyOf branches, then additionalProperties.
func propSchema(s *openapi3.Schema, name string, depth int) *openapi3.Schema {
	if s == nil || depth > maxSchemaDepth {
		return nil
	}
	if r := s.Properties[name]; r != nil && r.Value != nil {
		return r.Value
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, r := range group {
			if r != nil {
				if v := propSchema(r.Value, name, depth+1); v != nil {
					return v
				}
			}
		}
	}
	if r := s.AdditionalProperties.Schema; r != nil {
		return r.Value
	}
	return nil
}

// itemsOf returns the item schema of array schema s.
func itemsOf(s *openapi3.Schema, depth int) *openapi3.Schema {
	if s == nil || depth > maxSchemaDepth {
		return nil
	}
	if s.Items != nil {
		return s.Items.Value
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, r := range group {
			if r != nil {
				if v := itemsOf(r.Value, depth+1); v != nil {
					return v
				}
			}
		}
	}
	return nil
}

// expected describes the root elements schema accepts, for error messages.
func expected(s *openapi3.Schema) string {
	if len(s.Properties) == 0 {
		return ""
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, "<"+n+">")
	}
	slices.Sort(names)
	return ", expected " + strings.Join(names, " or ")
}

// ---------------------------------------------------------------- kin-openapi glue

// BodyDecoder is an openapi3filter.BodyDecoder for XML bodies: it returns
// the result of Decode with the media type's schema.
func BodyDecoder(body io.Reader, _ http.Header, schema *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	var s *openapi3.Schema
	if schema != nil {
		s = schema.Value
	}
	return Decode(body, s)
}

// BodyEncoder is an openapi3filter.BodyEncoder for XML: it encodes a
// decoded document (a map with a single root member) back to XML, without
// namespace. kin-openapi uses it to rewrite a body after applying schema
// defaults.
func BodyEncoder(body any) ([]byte, error) {
	m, ok := body.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, errors.New("xmlcodec: body must be an object with exactly one member")
	}
	var root string
	for k := range m {
		root = k
	}
	return Marshal(root, "", m[root])
}

var registerOnce sync.Once

// Register installs BodyDecoder and BodyEncoder in openapi3filter for
// "application/xml" and "text/xml". Calling it more than once is harmless,
// but kin-openapi's decoder registry is not synchronised: call Register at
// start-up, before any request is validated.
func Register() {
	registerOnce.Do(func() {
		for _, ct := range []string{"application/xml", "text/xml"} {
			openapi3filter.RegisterBodyDecoder(ct, BodyDecoder)
			openapi3filter.RegisterBodyEncoder(ct, BodyEncoder)
		}
	})
}
