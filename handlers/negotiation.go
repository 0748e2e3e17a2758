package handlers

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// negotiateLegacy picks the legacy success media type (D1): an Accept naming JSON or XML
// wins, else the request's Content-Type, else XML.
func negotiateLegacy(r *http.Request) string {
	if mt := acceptedLegacy(r); mt != "" {
		return mt
	}
	switch mediaTypeOf(r) {
	case echo.MIMEApplicationJSON:
		return echo.MIMEApplicationJSON
	}
	return echo.MIMEApplicationXML
}

// negotiateLegacyError picks the legacy error media type: JSON only when Accept asks for it by
// name (ranked as in D1), else XML. The request's Content-Type does not count: the official
// operations declare XML errors, and a client that sends JSON may still parse errors as XML.
func negotiateLegacyError(r *http.Request) string {
	if mt := acceptedLegacy(r); mt != "" {
		return mt
	}
	return echo.MIMEApplicationXML
}

// acceptedLegacy is the media type Accept prefers of JSON and XML, or "" when it names neither.
func acceptedLegacy(r *http.Request) string {
	json, xml := acceptRank(r.Header.Values("Accept"))
	switch {
	case json > 0 && json >= xml:
		return echo.MIMEApplicationJSON
	case xml > 0:
		return echo.MIMEApplicationXML
	}
	return ""
}

// acceptRank gives the q-values (x1000) Accept assigns to JSON and XML; 0 means not named.
// Equal values favour JSON only when JSON comes first.
func acceptRank(values []string) (json, xml int) {
	pos := 0
	jsonPos, xmlPos := -1, -1
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			q := 1000
			for _, p := range strings.Split(params, ";") {
				if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
					q = parseQ(val)
				}
			}
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "application/json":
				json, jsonPos = q, pos
			case "application/xml", "text/xml":
				xml, xmlPos = q, pos
			}
			pos++
		}
	}
	if json == xml && json > 0 && xmlPos < jsonPos {
		json-- // the first named wins a tie
	}
	return json, xml
}

func parseQ(v string) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	whole, frac, _ := strings.Cut(v, ".")
	q := 0
	switch whole {
	case "1":
		return 1000
	case "0":
	default:
		return 0
	}
	for i, mul := 0, 100; i < len(frac) && i < 3; i, mul = i+1, mul/10 {
		if frac[i] < '0' || frac[i] > '9' {
			return 0
		}
		q += int(frac[i]-'0') * mul
	}
	return q
}

// recogniseLegacyBody sets the Content-Type a Register v4 body lacks, and reads text/xml as
// application/xml, before validation and negotiation (D1): Content-Type is optional there, so a
// body starting with '<' is XML and any other JSON.
func recogniseLegacyBody(r *http.Request, body []byte) {
	switch mediaTypeOf(r) {
	case "":
		if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '<' {
			r.Header.Set("Content-Type", echo.MIMEApplicationXML)
		} else {
			r.Header.Set("Content-Type", echo.MIMEApplicationJSON)
		}
	case "text/xml":
		r.Header.Set("Content-Type", echo.MIMEApplicationXML)
	}
}
