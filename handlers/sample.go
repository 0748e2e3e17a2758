package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// SamplePath is where the sandbox serves the reference registration app (examples/webapp):
// a web app outside the API contract, so outside the spec, the validator and the error
// envelopes. Outside sandbox mode nothing is routed there and its paths answer like unknown
// ones.
const SamplePath = "/sample/register"

// isSamplePath reports whether the request validator must leave p to the sample app.
func (s *Server) isSamplePath(p string) bool {
	return s.sample != nil && (p == SamplePath || strings.HasPrefix(p, SamplePath+"/"))
}

// mountSample routes the sample app's paths to it.
func (s *Server) mountSample(e *echo.Echo) {
	if s.sample == nil {
		return
	}
	h := echo.WrapHandler(s.sample)
	e.Any(SamplePath, h)
	e.Any(SamplePath+"/*", h)
}

// sampleHandler is the sample app New serves: opts.Sample in sandbox mode, else none.
func sampleHandler(opts Options) http.Handler {
	if !opts.Sandbox {
		return nil
	}
	return opts.Sample
}
