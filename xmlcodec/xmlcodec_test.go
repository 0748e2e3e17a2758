package xmlcodec

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/custreg/custreg/internal/fuzzcorpus"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

const testSpec = `
openapi: 3.0.3
info: {title: xmlcodec test, version: "1"}
paths:
  /customers:
    post:
      requestBody:
        required: true
        content:
          application/xml:
            schema: {$ref: '#/components/schemas/FICustomerDoc'}
      responses:
        '200': {description: ok}
components:
  schemas:
    FICustomerDoc:
      type: object
      additionalProperties: false
      required: [FICustomer]
      properties:
        FICustomer: {$ref: '#/components/schemas/FICustomer'}
    FICustomer:
      type: object
      additionalProperties: false
      properties:
        memberNumber: {type: string}
        person: {$ref: '#/components/schemas/Person'}
        channelInfos:
          type: object
          properties:
            channelInfo:
              type: array
              items: {$ref: '#/components/schemas/ChannelInfo'}
        acceptedDisclosure: {type: boolean}
        creditScore: {type: integer}
        balance: {type: number}
        tags: {type: array, items: {type: string}}
        note: {type: string}
    Person:
      allOf:
        - {$ref: '#/components/schemas/Named'}
        - type: object
          properties:
            contactInfo:
              type: object
              properties:
                postalAddress:
                  type: array
                  items:
                    type: object
                    properties:
                      city: {type: string}
                      zip: {type: string}
    Named:
      type: object
      properties:
        firstName: {type: string}
    ChannelInfo:
      type: object
      properties:
        channelType: {type: string}
        enabled: {type: boolean}
    StatusDoc:
      type: object
      properties:
        Status:
          type: object
          properties:
            code: {type: integer}
            severity: {type: string}
`

func loadSpec(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(testSpec))
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate spec: %v", err)
	}
	return doc
}

func schemaOf(t testing.TB, name string) *openapi3.Schema {
	t.Helper()
	return loadSpec(t).Components.Schemas[name].Value
}

// Go types shaped like oapi-codegen output.
type (
	customerDoc struct {
		FICustomer *customer `json:"FICustomer,omitempty"`
	}
	customer struct {
		MemberNumber       *string       `json:"memberNumber,omitempty"`
		Person             *person       `json:"person,omitempty"`
		ChannelInfos       *channelInfos `json:"channelInfos,omitempty"`
		AcceptedDisclosure *bool         `json:"acceptedDisclosure,omitempty"`
		CreditScore        *int          `json:"creditScore,omitempty"`
		Balance            *float64      `json:"balance,omitempty"`
		Tags               *[]string     `json:"tags,omitempty"`
		Note               *string       `json:"note,omitempty"`
	}
	person struct {
		FirstName   *string      `json:"firstName,omitempty"`
		ContactInfo *contactInfo `json:"contactInfo,omitempty"`
	}
	contactInfo struct {
		PostalAddress []address `json:"postalAddress,omitempty"`
	}
	address struct {
		City *string `json:"city,omitempty"`
		Zip  *string `json:"zip,omitempty"`
	}
	channelInfos struct {
		ChannelInfo []channelInfo `json:"channelInfo,omitempty"`
	}
	channelInfo struct {
		ChannelType *string `json:"channelType,omitempty"`
		Enabled     *bool   `json:"enabled,omitempty"`
	}
)

func ptr[T any](v T) *T { return &v }

func jsonShape(t *testing.T, v any) map[string]any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRoundTrip(t *testing.T) {
	schema := schemaOf(t, "FICustomerDoc")
	tests := []struct {
		name string
		ns   string
		c    customer
	}{
		{"empty", "", customer{}},
		{"full", "http://schema.intuit.com/fs/common/v2", customer{
			MemberNumber: ptr("A1"),
			Person: &person{FirstName: ptr("Ann"), ContactInfo: &contactInfo{PostalAddress: []address{
				{City: ptr("X"), Zip: ptr("01234")}, {City: ptr("Y")},
			}}},
			ChannelInfos:       &channelInfos{ChannelInfo: []channelInfo{{ChannelType: ptr("TPV_API"), Enabled: ptr(true)}, {Enabled: ptr(false)}}},
			AcceptedDisclosure: ptr(true),
			CreditScore:        ptr(712),
			Balance:            ptr(-1234.5),
			Tags:               &[]string{"a", "b", "c"},
		}},
		{"single element arrays", "", customer{
			Person:       &person{ContactInfo: &contactInfo{PostalAddress: []address{{City: ptr("Solo")}}}},
			ChannelInfos: &channelInfos{ChannelInfo: []channelInfo{{ChannelType: ptr("BRANCH")}}},
			Tags:         &[]string{"only"},
		}},
		{"zero values", "", customer{
			MemberNumber: ptr(""), AcceptedDisclosure: ptr(false), CreditScore: ptr(0), Balance: ptr(0.0),
			Person: &person{}, Tags: &[]string{""},
		}},
		{"escaping and whitespace", "urn:x&y", customer{
			MemberNumber: ptr(`&<>"'`),
			Note:         ptr("  padded\tline1\nline2\r\nend  "),
			Tags:         &[]string{"]]>", "<![CDATA[x]]>", "a&amp;b", "é漢字"},
		}},
		{"numbers", "", customer{CreditScore: ptr(-9007199254740991), Balance: ptr(1e-7)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Marshal("FICustomer", tt.ns, tt.c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(bytes.NewReader(out), schema)
			if err != nil {
				t.Fatalf("Decode(%s): %v", out, err)
			}
			want := jsonShape(t, customerDoc{FICustomer: &tt.c})
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip mismatch\nxml:  %s\ngot:  %#v\nwant: %#v", out, got, want)
			}
		})
	}
}

func TestMarshalExample(t *testing.T) {
	in := `{"FICustomer":{"memberNumber":"A1","person":{"contactInfo":{"postalAddress":[{"city":"X"},{"city":"Y"}]}},"channelInfos":{"channelInfo":[{"channelType":"TPV_API"}]},"acceptedDisclosure":true,"gone":null,"n":1.50,"nested":[["p","q"],[]]}}`
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(in), &doc); err != nil {
		t.Fatal(err)
	}
	got, err := Marshal("FICustomer", "", doc["FICustomer"])
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<FICustomer><memberNumber>A1</memberNumber><person><contactInfo><postalAddress><city>X</city></postalAddress>` +
		`<postalAddress><city>Y</city></postalAddress></contactInfo></person><channelInfos><channelInfo><channelType>TPV_API</channelType>` +
		`</channelInfo></channelInfos><acceptedDisclosure>true</acceptedDisclosure><n>1.50</n><nested>p</nested><nested>q</nested></FICustomer>`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	got, err = Marshal("Status", "http://schema.intuit.com/fs/common/v2", map[string]any{"code": 0})
	if err != nil {
		t.Fatal(err)
	}
	if want := `<Status xmlns="http://schema.intuit.com/fs/common/v2"><code>0</code></Status>`; !strings.HasSuffix(string(got), "\n"+want) {
		t.Errorf("got %s, want suffix %s", got, want)
	}

	in2 := map[string]any{"R": map[string]any{"café": "x", "a-b.c_1": "y"}}
	got, err = Marshal("R", "", in2["R"])
	if err != nil {
		t.Fatal(err)
	}
	if back, err := Decode(bytes.NewReader(got), nil); err != nil || !reflect.DeepEqual(back, in2) {
		t.Errorf("non-ASCII names: got %v, %v", back, err)
	}
}

func TestMarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		root string
		v    any
	}{
		{"array value", "R", []int{1}},
		{"string value", "R", "x"},
		{"nil value", "R", nil},
		{"bad root", "1R", map[string]any{}},
		{"root with colon", "a:R", map[string]any{}},
		{"key with space", "R", map[string]any{"a b": 1}},
		{"empty key", "R", map[string]any{"": 1}},
		{"nested key with angle", "R", map[string]any{"a": map[string]any{"<x>": "y"}}},
		{"key with colon in array", "R", map[string]any{"a": []any{map[string]any{"p:q": nil}}}},
		{"unmarshalable", "R", map[string]any{"c": make(chan int)}},
		{"emoji key", "R", map[string]any{"a😀": 1}},
		{"non-ASCII key with attribute syntax", "R", map[string]any{"é x": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out, err := Marshal(tt.root, "", tt.v); err == nil {
				t.Errorf("expected error, got %s", out)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	type m = map[string]any
	type a = []any
	tests := []struct {
		name   string
		schema string // component name; "" = nil schema
		xml    string
		want   m
	}{
		{"namespace present", "StatusDoc",
			`<Status xmlns="http://schema.intuit.com/fs/common/v2"><code>0</code><severity>Info</severity></Status>`,
			m{"Status": m{"code": 0.0, "severity": "Info"}}},
		{"namespace absent", "StatusDoc",
			`<?xml version="1.0"?><Status><code>-3</code><severity>Info</severity></Status>`,
			m{"Status": m{"code": -3.0, "severity": "Info"}}},
		{"namespace prefix", "StatusDoc",
			`<s:Status xmlns:s="urn:s" s:attr="ignored"><s:code>7</s:code></s:Status>`,
			m{"Status": m{"code": 7.0}}},
		{"booleans", "FICustomerDoc",
			`<FICustomer><acceptedDisclosure> false
			</acceptedDisclosure><channelInfos><channelInfo><enabled>TRUE</enabled></channelInfo><channelInfo><enabled>1</enabled></channelInfo></channelInfos></FICustomer>`,
			m{"FICustomer": m{"acceptedDisclosure": false, "channelInfos": m{"channelInfo": a{m{"enabled": "TRUE"}, m{"enabled": "1"}}}}}},
		{"numbers", "FICustomerDoc",
			`<FICustomer><creditScore> 12 </creditScore><balance>1.5e3</balance></FICustomer>`,
			m{"FICustomer": m{"creditScore": 12.0, "balance": 1500.0}}},
		{"numbers kept as strings when invalid", "FICustomerDoc",
			`<FICustomer><creditScore>NaN</creditScore><balance>0x10</balance><tags>1</tags></FICustomer>`,
			m{"FICustomer": m{"creditScore": "NaN", "balance": "0x10", "tags": a{"1"}}}},
		{"number overflow kept as string", "FICustomerDoc",
			`<FICustomer><balance>1e999</balance></FICustomer>`,
			m{"FICustomer": m{"balance": "1e999"}}},
		{"strings untrimmed, pretty printing ignored", "FICustomerDoc",
			"<FICustomer>\n  <note>  hi  </note>\n  <memberNumber>\n</memberNumber>\n</FICustomer>\n",
			m{"FICustomer": m{"note": "  hi  ", "memberNumber": "\n"}}},
		{"empty elements", "FICustomerDoc",
			`<FICustomer><person/><note/><channelInfos>  </channelInfos></FICustomer>`,
			m{"FICustomer": m{"person": m{}, "note": "", "channelInfos": m{}}}},
		{"cdata comments and entities", "FICustomerDoc",
			`<!-- c --><FICustomer><note><![CDATA[<b>&]]>&amp;&#65;<!-- x -->z</note></FICustomer><!-- after -->`,
			m{"FICustomer": m{"note": "<b>&&Az"}}},
		{"single element array", "FICustomerDoc",
			`<FICustomer><person><contactInfo><postalAddress><city>X</city></postalAddress></contactInfo></person></FICustomer>`,
			m{"FICustomer": m{"person": m{"contactInfo": m{"postalAddress": a{m{"city": "X"}}}}}}},
		{"non-contiguous array elements", "FICustomerDoc",
			`<FICustomer><tags>a</tags><note>n</note><tags>b</tags></FICustomer>`,
			m{"FICustomer": m{"tags": a{"a", "b"}, "note": "n"}}},
		{"unknown elements kept", "FICustomerDoc",
			`<FICustomer><extra>x</extra><extra>y</extra><extra>z</extra><blob><k>1</k></blob><note>n</note><note>o</note></FICustomer>`,
			m{"FICustomer": m{"extra": a{"x", "y", "z"}, "blob": m{"k": "1"}, "note": a{"n", "o"}}}},
		{"nil schema", "",
			`<Anything><a>1</a><a>2</a><b/></Anything>`,
			m{"Anything": m{"a": a{"1", "2"}, "b": ""}}},
	}
	spec := loadSpec(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *openapi3.Schema
			if tt.schema != "" {
				s = spec.Components.Schemas[tt.schema].Value
			}
			got, err := Decode(strings.NewReader(tt.xml), s)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeSyntaxErrors(t *testing.T) {
	const secret = "4111111111111111"
	deep := func(n int) string {
		return "<FICustomer>" + strings.Repeat("<x>", n-1) + strings.Repeat("</x>", n-1) + "</FICustomer>"
	}
	tests := []struct {
		name     string
		xml      string
		line     int    // expected line, 0 = don't check
		contains string // expected message fragment
	}{
		{"doctype", `<!DOCTYPE FICustomer [<!ENTITY x "` + secret + `">]><FICustomer><note>&x;</note></FICustomer>`, 1, "DOCTYPE"},
		{"wrong root", `<Customer><note>` + secret + `</note></Customer>`, 1, "expected <FICustomer>"},
		{"two roots", `<FICustomer/><FICustomer/>`, 1, "more than one root"},
		{"trailing text", "<FICustomer/>\n" + secret, 2, "outside the root"},
		{"leading text", secret + "<FICustomer/>", 1, "outside the root"},
		{"empty", " \n ", 0, "no root"},
		{"mixed content", "<FICustomer>\n<person>" + secret + "<firstName>A</firstName></person></FICustomer>", 2, "<person> mixes text"},
		{"too deep", deep(MaxDepth + 1), 1, "deeper than 64"},
		{"too deep via schema array", "<FICustomer>" + strings.Repeat("<tags>", 70), 1, "deeper than 64"},
		{"bare ampersand", "<FICustomer>\n<note>\n" + secret + " & co</note></FICustomer>", 3, "malformed"},
		{"unknown entity", "<FICustomer>\n<note>&" + secret + ";</note></FICustomer>", 2, "malformed"},
		{"unclosed", "<FICustomer>\n<note>" + secret, 2, "unexpected end"},
		{"mismatched", "<FICustomer>\n\n<note>" + secret + "</memberNumber></FICustomer>", 3, "element <note> closed by </memberNumber>"},
		{"bad char", "<FICustomer><note>" + secret + "\x00</note></FICustomer>", 1, "malformed"},
		{"bad attribute", "<FICustomer a=" + secret + "></FICustomer>", 1, "malformed"},
		{"foreign encoding", `<?xml version="1.0" encoding="ISO-8859-1"?><FICustomer/>`, 1, "encoding"},
	}
	schema := schemaOf(t, "FICustomerDoc")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(strings.NewReader(tt.xml), schema)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want *SyntaxError, got %v (result %v)", err, got)
			}
			if tt.line != 0 && se.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", se.Line, tt.line, err)
			}
			if !strings.Contains(se.Msg, tt.contains) {
				t.Errorf("message %q does not contain %q", se.Msg, tt.contains)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks document content: %v", err)
			}
		})
	}
	if _, err := Decode(strings.NewReader(deep(MaxDepth)), schema); err != nil {
		t.Errorf("depth %d should be accepted: %v", MaxDepth, err)
	}
}

func TestDecodeReaderError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Decode(iotest.ErrReader(boom), nil)
	var se *SyntaxError
	if !errors.Is(err, boom) || errors.As(err, &se) {
		t.Errorf("got %v, want wrapped reader error", err)
	}
}

func TestValidateRequest(t *testing.T) {
	Register()
	Register() // harmless
	spec := loadSpec(t)
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		ct       string
		body     string
		wantPath []string // nil = valid
	}{
		{"valid", "application/xml", `<FICustomer xmlns="urn:x"><memberNumber>A1</memberNumber><acceptedDisclosure>true</acceptedDisclosure>` +
			`<channelInfos><channelInfo><enabled>false</enabled></channelInfo></channelInfos></FICustomer>`, nil},
		{"wrong boolean", "application/xml; charset=utf-8", `<FICustomer><memberNumber>A1</memberNumber><acceptedDisclosure>yes</acceptedDisclosure></FICustomer>`,
			[]string{"FICustomer", "acceptedDisclosure"}},
		{"wrong type in array item", "application/xml", `<FICustomer><channelInfos><channelInfo><enabled>true</enabled></channelInfo>` +
			`<channelInfo><enabled>maybe</enabled></channelInfo></channelInfos></FICustomer>`,
			[]string{"FICustomer", "channelInfos", "channelInfo", "1", "enabled"}},
		{"wrong integer", "application/xml", `<FICustomer><creditScore>1.5</creditScore></FICustomer>`,
			[]string{"FICustomer", "creditScore"}},
		{"unknown field", "application/xml", `<FICustomer><bogus>1</bogus></FICustomer>`,
			[]string{"FICustomer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/customers", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.ct)
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatal(err)
			}
			err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
				Request: req, PathParams: params, Route: route,
			})
			if tt.wantPath == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var se *openapi3.SchemaError
			if !errors.As(err, &se) {
				t.Fatalf("want *openapi3.SchemaError, got %v", err)
			}
			if got := se.JSONPointer(); !slices.Equal(got, tt.wantPath) {
				t.Errorf("JSONPointer = %q, want %q (%v)", got, tt.wantPath, err)
			}
		})
	}
}

func TestBodyEncoder(t *testing.T) {
	in := map[string]any{"Status": map[string]any{"code": 1.0, "severity": "Info"}}
	out, err := BodyEncoder(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(bytes.NewReader(out), schemaOf(t, "StatusDoc"))
	if err != nil || !reflect.DeepEqual(got, in) {
		t.Errorf("got %v, %v; want %v", got, err, in)
	}
	if _, err := BodyEncoder(map[string]any{"a": 1, "b": 2}); err == nil {
		t.Error("expected error for two roots")
	}
}

func FuzzDecode(f *testing.F) {
	seeds := []fuzzcorpus.Seed{
		fuzzcorpus.S("nested", `<FICustomer><memberNumber>A1</memberNumber><person><contactInfo><postalAddress><city>X</city></postalAddress></contactInfo></person></FICustomer>`),
		fuzzcorpus.S("namespace-number-empty", `<FICustomer xmlns="urn:x"><acceptedDisclosure>true</acceptedDisclosure><creditScore>1e3</creditScore><tags/></FICustomer>`),
		fuzzcorpus.S("empty-doctype", `<!DOCTYPE x><FICustomer/>`),
		fuzzcorpus.S("cdata-trailing-junk", `<FICustomer><note><![CDATA[&]]></note><x><y>1</y></x></FICustomer>junk`),
		fuzzcorpus.S("unclosed-nested", `<FICustomer><channelInfos><channelInfo><enabled>no</enabled></channelInfo></channelInfos>`),
		fuzzcorpus.S("huge-number", `<FICustomer><creditScore>1e999999</creditScore></FICustomer>`),
		fuzzcorpus.S("nan-number", `<FICustomer><creditScore>NaN</creditScore></FICustomer>`),
	}
	for _, h := range fuzzcorpus.HostileXML {
		seeds = append(seeds, fuzzcorpus.S("hostile-"+h.Name, h.Value))
	}
	for _, h := range fuzzcorpus.HostileText {
		seeds = append(seeds, fuzzcorpus.S("text-"+h.Name, "<FICustomer><memberNumber>"+fuzzcorpus.XMLText(h.Value)+"</memberNumber></FICustomer>"))
	}
	fuzzcorpus.Check(f, seeds)
	schema := schemaOf(f, "FICustomerDoc")
	f.Fuzz(func(t *testing.T, doc string) {
		got, err := Decode(strings.NewReader(doc), schema)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("non-syntax error for in-memory input: %v", err)
			}
			return
		}
		if _, err := json.Marshal(got); err != nil {
			t.Fatalf("result is not JSON-encodable: %v", err)
		}
		// DTDs are never read, so no entity is ever expanded: a document with a directive is
		// refused whole.
		d := xml.NewDecoder(strings.NewReader(doc))
		for {
			tok, err := d.RawToken()
			if err != nil {
				break
			}
			if _, ok := tok.(xml.Directive); ok {
				t.Fatalf("accepted a document with a directive: %+q", doc)
			}
		}
	})
}

func TestDecodeUnwrappedRootByXMLName(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(`
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Status:
      type: object
      xml: {name: Status}
      properties:
        statusMessage: {type: string}
        errorInfo:
          type: array
          items:
            type: object
            properties:
              errorCode: {type: string}
`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(strings.NewReader(`<Status xmlns="http://schema.intuit.com/fs/common/v2"><statusMessage>m</statusMessage><errorInfo><errorCode>90002</errorCode></errorInfo></Status>`),
		doc.Components.Schemas["Status"].Value)
	if err != nil {
		t.Fatal(err)
	}
	infos, ok := got["errorInfo"].([]any)
	if got["statusMessage"] != "m" || !ok || len(infos) != 1 {
		t.Fatalf("got %#v", got)
	}
}

// TestMarshalSchemaFollowsThePropertyOrder: elements come in the order the source lists the
// properties (nested, through $ref and items), not the value's JSON order; members the schema
// does not list follow in JSON order.
func TestMarshalSchemaFollowsThePropertyOrder(t *testing.T) {
	src := []byte(`openapi: 3.0.3
info: {title: order, version: "1"}
paths: {}
components:
  schemas:
    Token:
      type: object
      properties:
        zeta: {type: string}
        alpha: {type: string}
        inner: {$ref: "#/components/schemas/Inner"}
        list:
          type: array
          items:
            type: object
            properties:
              y: {type: integer}
              b: {type: boolean}
    Inner:
      type: object
      properties:
        second: {type: string}
        first: {type: string}
`)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(src)
	if err != nil {
		t.Fatal(err)
	}
	order, err := PropertyOrder(src, doc)
	if err != nil {
		t.Fatal(err)
	}
	v := map[string]any{"alpha": "a", "extra": "x", "zeta": "z", "inner": map[string]any{"first": "1", "second": "2"},
		"list": []any{map[string]any{"b": true, "y": 1}}}
	got, err := MarshalSchema("token", "", v, doc.Components.Schemas["Token"].Value, order)
	if err != nil {
		t.Fatal(err)
	}
	want := xmlHeader + `<token><zeta>z</zeta><alpha>a</alpha><inner><second>2</second><first>1</first></inner>` +
		`<list><y>1</y><b>true</b></list><extra>x</extra></token>`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	plain, _ := Marshal("token", "", v) // without a schema: JSON order (alphabetical for a map)
	if !strings.HasPrefix(string(plain), xmlHeader+"<token><alpha>") {
		t.Errorf("Marshal without schema: %s", plain)
	}
}
