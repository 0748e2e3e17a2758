package handlers

import (
	"net/http"

	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/xmlcodec"
	"github.com/labstack/echo/v4"
)

// legacyNamespace is the namespace of the legacy Status element.
const legacyNamespace = "http://schema.intuit.com/fs/common/v2"

// writeProblems writes the family's envelope.
func (s *Server) writeProblems(c echo.Context, info *requestInfo, ps Problems) error {
	status := ps[0].Status
	if !info.family.legacy() {
		return c.JSON(status, gen.ErrorResponse{Code: ps[0].Code, Message: ps[0].Message})
	}
	st := gen.Status{StatusMessage: &ps[0].Message, ErrorInfo: make([]gen.ErrorInfo, len(ps))}
	for i, p := range ps {
		st.ErrorInfo[i] = gen.ErrorInfo{ErrorType: legacyErrorType(info.family, p.Status), ErrorCode: p.Code, ErrorMessage: p.Message}
	}
	if info.family == famLegacy && info.mediaType == echo.MIMEApplicationJSON {
		return c.JSON(status, st)
	}
	body, err := xmlcodec.Marshal("Status", legacyNamespace, st)
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
