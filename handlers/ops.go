package handlers

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/common/expfmt"
	"github.com/swaggest/swgui/v5/static"
	"github.com/vearutop/statigz"

	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/openapi"
)

// GetHealth answers while the process serves HTTP.
func (s *Server) GetHealth(context.Context, gen.GetHealthRequestObject) (gen.GetHealthResponseObject, error) {
	return gen.GetHealth200JSONResponse{Status: gen.Ok}, nil
}

// GetReadiness answers 200 when the database answers a ping within two seconds.
func (s *Server) GetReadiness(ctx context.Context, _ gen.GetReadinessRequestObject) (gen.GetReadinessResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "readiness: database unreachable", "error", err)
		return gen.GetReadiness503JSONResponse{Status: gen.Unavailable}, nil
	}
	return gen.GetReadiness200JSONResponse{Status: gen.Ready}, nil
}

// GetOpenAPIYAML serves the specification exactly as written.
func (s *Server) GetOpenAPIYAML(context.Context, gen.GetOpenAPIYAMLRequestObject) (gen.GetOpenAPIYAMLResponseObject, error) {
	return gen.GetOpenAPIYAML200ApplicationYamlResponse{Body: bytes.NewReader(openapi.YAML), ContentLength: int64(len(openapi.YAML))}, nil
}

// GetOpenAPIJSON serves the specification rendered as JSON.
func (s *Server) GetOpenAPIJSON(context.Context, gen.GetOpenAPIJSONRequestObject) (gen.GetOpenAPIJSONResponseObject, error) {
	var doc map[string]any
	if err := json.Unmarshal(s.specJSON, &doc); err != nil {
		return nil, err
	}
	return gen.GetOpenAPIJSON200JSONResponse(doc), nil
}

// GetMetrics renders the registry in the Prometheus text format.
func (s *Server) GetMetrics(context.Context, gen.GetMetricsRequestObject) (gen.GetMetricsResponseObject, error) {
	families, err := s.registry.Gather()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range families {
		if err := enc.Encode(mf); err != nil {
			return nil, err
		}
	}
	return gen.GetMetrics200TextResponse(buf.String()), nil
}

// docsAssetsPrefix is where the embedded Swagger UI files are served; the validator skips it.
const docsAssetsPrefix = "/docs/assets/"

//go:embed docs.html
var docsHTML string

// GetDocs serves the API reference page; its scripts and styles come from the binary.
func (s *Server) GetDocs(context.Context, gen.GetDocsRequestObject) (gen.GetDocsResponseObject, error) {
	return gen.GetDocs200TextHTMLResponse{Body: strings.NewReader(docsHTML), ContentLength: int64(len(docsHTML))}, nil
}

// docsAssets serves Swagger UI's files (embedded, pre-compressed) under docsAssetsPrefix.
// A missing file is the generic family's 404 like any unknown path (the file server's own answer
// is plain text outside the spec).
func docsAssets() echo.HandlerFunc {
	type missingKey struct{}
	files := http.StripPrefix(strings.TrimSuffix(docsAssetsPrefix, "/"), statigz.FileServer(static.FS,
		statigz.OnNotFound(func(_ http.ResponseWriter, r *http.Request) {
			if missing, ok := r.Context().Value(missingKey{}).(*bool); ok {
				*missing = true
			}
		})))
	return func(c echo.Context) error {
		missing := false
		r := c.Request()
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(c.Response(), r.WithContext(context.WithValue(r.Context(), missingKey{}, &missing)))
		if missing {
			c.Response().Header().Del("Cache-Control")
			return echo.ErrNotFound
		}
		return nil
	}
}
