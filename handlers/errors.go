package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/custreg/custreg/models"
	"github.com/labstack/echo/v4"
)

// handleError is the one place errors become responses: it turns any error into the envelope of
// the request's family (contract §1.5) and logs what the client does not see.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	info, seen := c.Request().Context().Value(requestInfoKey{}).(*requestInfo)
	if !seen { // failed before observe: answer in the path's family
		info = &requestInfo{family: familyOf(c.Request().URL.Path)}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Code == http.StatusMethodNotAllowed && s.actions != nil && s.actions.unknownAction(c.Request().URL.Path) {
		err = echo.ErrNotFound
	}
	ps := s.toProblems(info, err)
	if errors.Is(err, models.ErrBusy) {
		s.metrics.limited.WithLabelValues("hashing").Inc() // the hasher's queue, or the legacy secret gate
	}
	if cause, ok := databaseFailure(err); ok && ps[0].Status >= 500 {
		s.logUnavailable(c, info, cause) // once per outage, not once per request
	} else if ps[0].Status >= 500 {
		s.log.ErrorContext(c.Request().Context(), "request failed", "trace_id", info.traceID, "route", c.Path(), "error", err)
	} else {
		codes := make([]string, len(ps))
		for i, p := range ps {
			codes[i] = p.Code
		}
		s.log.DebugContext(c.Request().Context(), "request rejected", "trace_id", info.traceID, "route", c.Path(), "codes", codes)
	}
	info.errorCodes = ps
	if err := s.writeProblems(c, info, ps); err != nil {
		s.log.ErrorContext(c.Request().Context(), "write error response", "error", err)
	}
}

// toProblems classifies err: our own Problems pass through; validator errors are mapped field by
// field; sentinels and everything else become the family's generic codes.
func (s *Server) toProblems(info *requestInfo, err error) Problems {
	// Validator errors first: their MultiError would otherwise hand errors.As the first Problem
	// inside it, skipping the ranking validationProblems applies.
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Internal != nil {
		if mapped := s.validationProblems(info, he.Internal); len(mapped) > 0 {
			return mapped
		}
	}
	return plainProblems(info.family, info.operation, err)
}

// plainProblems classifies errors other than the validator's: Problems pass through, domain
// violations and sentinels are looked up in the outcome table, and whatever is left becomes the
// family's generic answer.
func plainProblems(f family, op string, err error) Problems {
	codes := f.codes()
	if ps := domainProblems(f, op, err); ps != nil {
		return ps
	}
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound:
			return Problems{problem(http.StatusNotFound, codes.notFound, "", "No such resource")}
		case http.StatusMethodNotAllowed:
			return Problems{problem(methodNotAllowedStatus(f), codes.methodNotAllow, "", "Method not supported on this resource")}
		case http.StatusRequestEntityTooLarge:
			return Problems{problem(http.StatusBadRequest, codes.bodyTooLarge, "", "Request body too large")}
		case http.StatusUnsupportedMediaType:
			return Problems{problem(http.StatusUnsupportedMediaType, codes.unsupportedMT, "", "Unsupported media type")}
		case http.StatusUnauthorized:
			return Problems{problem(http.StatusUnauthorized, codes.unauthorized, "", "Unauthorized")}
		case http.StatusForbidden:
			return Problems{problem(http.StatusForbidden, codes.forbidden, "", "Forbidden")}
		}
		if he.Code >= 400 && he.Code < 500 {
			return Problems{problem(http.StatusBadRequest, codes.badRequest, "", "Invalid request")}
		}
	case errors.Is(err, models.ErrNotFound):
		return Problems{problem(http.StatusNotFound, codes.notFound, "", "Not found")}
	case errors.Is(err, models.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		status := http.StatusInternalServerError // the token and disclosure families publish no 503
		if f == famLegacy || f == famAccounts || f == famCustomers || f == famGeneric {
			status = http.StatusServiceUnavailable
		}
		return Problems{problem(status, codes.unavailable, "", "Service temporarily unavailable")}
	}
	if p, ok := internalByOperation[op]; ok {
		return Problems{problem(p.Status, p.Code, p.Field, p.Message)}
	}
	return Problems{problem(http.StatusInternalServerError, codes.internal, "", "Internal service error")}
}
