package handlers_test

// Error answers, read the same way whatever their envelope: the legacy Status (V1 token,
// Register v4, Get FI Customer; JSON or XML) or the ErrorResponse {code, message} (V2 token,
// disclosures, accounts, unknown paths). Contract §1.5.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strings"
	"testing"
)

// problem is one error answer.
type problem struct {
	mediaType string      // application/json or application/xml
	legacy    bool        // a Status (else an ErrorResponse)
	errors    []errorInfo // the Status's errorInfo in order; an ErrorResponse is one entry
}

type errorInfo struct {
	Type    string `xml:"errorType" json:"errorType"` // "" in an ErrorResponse
	Code    string `xml:"errorCode" json:"errorCode"`
	Message string `xml:"errorMessage" json:"errorMessage"`
}

func (p *problem) codes() []string {
	out := make([]string, len(p.errors))
	for i, e := range p.errors {
		out[i] = e.Code
	}
	return out
}

// legacyStatus is the Status envelope in both renderings.
type legacyStatus struct {
	XMLName       xml.Name    `xml:"Status" json:"-"`
	StatusMessage string      `xml:"statusMessage" json:"statusMessage"`
	ErrorInfo     []errorInfo `xml:"errorInfo" json:"errorInfo"`
}

// readProblem reads an error answer in the envelope and rendering its Content-Type says. A
// Status must carry at least one errorInfo (an array in JSON, D22; repeated elements in XML,
// under the root Status in its namespace) and its statusMessage must be the first errorMessage.
func readProblem(r *response) (*problem, error) {
	mt, _, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("Content-Type %q: %v", r.header.Get("Content-Type"), err)
	}
	p := &problem{mediaType: mt}
	var st legacyStatus
	switch mt {
	case "application/xml":
		if err := xml.Unmarshal(r.body, &st); err != nil {
			return nil, fmt.Errorf("not an XML Status: %v", err)
		}
		if st.XMLName.Local != "Status" || st.XMLName.Space != legacyNamespaceNS {
			return nil, fmt.Errorf("XML root %s in namespace %q, want Status in %s", st.XMLName.Local, st.XMLName.Space, legacyNamespaceNS)
		}
	case "application/json":
		var members map[string]json.RawMessage
		if err := json.Unmarshal(r.body, &members); err != nil {
			return nil, fmt.Errorf("not a JSON object: %v", err)
		}
		info, isStatus := members["errorInfo"]
		if !isStatus {
			var e struct{ Code, Message string }
			if err := json.Unmarshal(r.body, &e); err != nil || e.Code == "" {
				return nil, errors.New("neither a Status nor an ErrorResponse")
			}
			p.errors = []errorInfo{{Code: e.Code, Message: e.Message}}
			return p, nil
		}
		if !bytes.HasPrefix(bytes.TrimSpace(info), []byte("[")) {
			return nil, errors.New("errorInfo is not an array (D22)")
		}
		if err := json.Unmarshal(r.body, &st); err != nil {
			return nil, fmt.Errorf("not a JSON Status: %v", err)
		}
	default:
		return nil, fmt.Errorf("media type %s is neither JSON nor XML", mt)
	}
	p.legacy, p.errors = true, st.ErrorInfo
	if len(p.errors) == 0 {
		return nil, errors.New("no errorInfo")
	}
	if st.StatusMessage != p.errors[0].Message {
		return nil, fmt.Errorf("statusMessage %q differs from the first errorMessage %q", st.StatusMessage, p.errors[0].Message)
	}
	return p, nil
}

// wantProblem asserts that r is an error answer with the status and, first, the code, in the
// envelope of the code's family (numeric codes are the legacy Status's), and, when field is not
// "", that the code's message names the field (or whatever the message must mention).
func wantProblem(t testing.TB, r *response, status int, code, field string) *problem {
	t.Helper()
	p, err := readProblem(r)
	if err != nil {
		t.Fatalf("want %d %s, got %d: %v: %s", status, code, r.status, err, r.body)
	}
	if r.status != status || p.errors[0].Code != code {
		t.Fatalf("want %d %s, got %d %v: %s", status, code, r.status, p.codes(), r.body)
	}
	if legacyCode := strings.Trim(code, "0123456789") == ""; p.legacy != legacyCode {
		t.Errorf("code %s in the wrong envelope: %s", code, r.body)
	}
	if field != "" && !strings.Contains(p.errors[0].Message, field) {
		t.Errorf("message %q does not name %q", p.errors[0].Message, field)
	}
	return p
}

// wantCodes is wantProblem for an answer that must carry exactly these codes, in this order
// (D26: a Status reports every failure).
func wantCodes(t testing.TB, r *response, status int, codes ...string) *problem {
	t.Helper()
	p := wantProblem(t, r, status, codes[0], "")
	if !slices.Equal(p.codes(), codes) {
		t.Errorf("codes %v, want %v: %s", p.codes(), codes, r.body)
	}
	return p
}

// wantMessage is wantProblem for an answer with one code and exactly this message (for the
// messages the contract words).
func wantMessage(t testing.TB, r *response, status int, code, message string) *problem {
	t.Helper()
	p := wantCodes(t, r, status, code)
	if p.errors[0].Message != message {
		t.Errorf("message %q, want %q", p.errors[0].Message, message)
	}
	return p
}

// elementOrder lists an XML document's root element and then its children's names, in document
// order (repeated elements repeat): the order order-sensitive XML binders depend on.
func elementOrder(t testing.TB, body []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(body))
	var out []string
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("not XML: %v: %s", err, body)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if depth < 2 {
				out = append(out, e.Name.Local)
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}
