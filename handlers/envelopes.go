package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/xmlcodec"
	"github.com/labstack/echo/v4"
)

// legacyNamespace is the namespace of the legacy Status element.
const legacyNamespace = "http://schema.intuit.com/fs/common/v2"

// marshalXML renders v as the XML document root, its elements in the order the spec's schema
// lists its properties (xmlcodec.PropertyOrder), which is the official schemas' order.
func (s *Server) marshalXML(root, namespace, schema string, v any) ([]byte, error) {
	ref := s.spec.Components.Schemas[schema]
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("marshal XML: no schema %s in the spec", schema)
	}
	return xmlcodec.MarshalSchema(root, namespace, v, ref.Value, s.xmlOrder)
}

// writeProblems writes the family's envelope.
func (s *Server) writeProblems(c echo.Context, info *requestInfo, ps Problems) error {
	status := ps[0].Status
	if ps[0].RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(ps[0].RetryAfter))
	}
	if info.family == famCustomers {
		return c.JSON(status, gen.CustomersErrorBody{Status: int32(status), Code: ps[0].Code, Message: ps[0].Message})
	}
	if !info.family.legacy() {
		return c.JSON(status, gen.ErrorResponse{Code: ps[0].Code, Message: ps[0].Message})
	}
	st := gen.Status{StatusMessage: &ps[0].Message, ErrorInfo: make([]gen.ErrorInfo, len(ps))}
	for i, p := range ps {
		st.ErrorInfo[i] = gen.ErrorInfo{ErrorType: legacyErrorType(info.family, p.Status), ErrorCode: p.Code, ErrorMessage: p.Message}
	}
	if info.family == famLegacy && info.errorType == echo.MIMEApplicationJSON {
		return c.JSON(status, st)
	}
	body, err := s.marshalXML("Status", legacyNamespace, "Status", st)
	if err != nil {
		return err
	}
	return c.Blob(status, echo.MIMEApplicationXMLCharsetUTF8, body)
}

// legacyErrorType follows the published examples: USER_ERROR for client errors, APP_ERROR for
// 401 and 404 of the customer reads, SYSTEM_ERROR for server errors.
func legacyErrorType(f family, status int) gen.ErrorInfoErrorType {
	switch {
	case status >= 500:
		return gen.SYSTEMERROR
	case f == famLegacy && (status == http.StatusUnauthorized || status == http.StatusNotFound):
		return gen.APPERROR
	}
	return gen.USERERROR
}
