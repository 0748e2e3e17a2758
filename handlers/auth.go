package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/custreg/custreg/access"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
	"github.com/custreg/custreg/secure"
)

// principal is the authenticated caller of a request: a client app, and for bearer tokens the
// token (its FI, scopes and, for password grants, its user).
type principal struct {
	app    *models.ClientApp
	token  *models.Token
	kind   access.Kind   // bearer tokens only
	policy access.Policy // the operation's access policy (bearer tokens only)
}

// notAuthorised is the family's answer to a valid token that may not call the operation: 403
// with the family's not-authorised code, and for the legacy family (whose operations publish no
// 403) 401 90001, the code the V1 contract gives for a client or customer not authorised.
func notAuthorised(f family, msg string) *Problem {
	if f.legacy() {
		return problem(http.StatusUnauthorized, f.codes().unauthorized, "header:Authorization", msg)
	}
	return problem(http.StatusForbidden, f.codes().forbidden, "header:Authorization", msg)
}

// hasScope reports whether the token carries scope.
func (p *principal) hasScope(scope string) bool {
	return p.token != nil && slices.Contains(strings.Fields(p.token.Scopes), scope)
}

// appMayActFor reports whether the app is configured for the FI.
func appMayActFor(app *models.ClientApp, fiID string) bool {
	return slices.ContainsFunc(app.Institutions, func(i models.ClientAppInstitution) bool { return i.InstitutionID == fiID })
}

// authenticate is kin-openapi's hook for the security requirements of each operation: HTTP
// Basic client credentials on the token endpoints, and V1 or V2 bearer tokens on resource
// operations. On success the caller is recorded in the request info.
func (s *Server) authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	info := infoFrom(req.Context())
	// The access table decides; an operation it does not name is refused (fail closed).
	var policy access.Policy
	ok := false
	if route := in.RequestValidationInput.Route; route != nil && route.Operation != nil {
		policy, ok = access.For(route.Operation.OperationID)
		info.specOperation = route.Operation.OperationID
	}
	if !ok {
		return fmt.Errorf("operation has no access policy")
	}
	var p *principal
	var err error
	switch {
	case in.SecuritySchemeName == "clientBasic" && policy.Credential == access.ClientSecret:
		p, err = s.authenticateClient(req, info.family)
	case in.SecuritySchemeName == "v1Bearer" && policy.Credential == access.V1Token:
		p, err = s.authenticateBearer(req, info.family, 1, policy, in.RequestValidationInput.PathParams)
	case in.SecuritySchemeName == "v2Bearer" && policy.Credential == access.V2Token:
		p, err = s.authenticateBearer(req, info.family, 2, policy, in.RequestValidationInput.PathParams)
	default:
		return fmt.Errorf("security scheme %q does not match the access policy", in.SecuritySchemeName)
	}
	if err != nil {
		return err
	}
	// The app's quota and spike arrest count authenticated requests only: a caller that merely
	// knows an app's client id cannot use its quota up.
	if p.app != nil {
		err = s.limitApp(req.Context(), info.family, p.app.ID, p.app)
	} else {
		err = s.limitApp(req.Context(), info.family, p.token.ClientAppID, nil)
	}
	if err != nil {
		return err
	}
	info.principal = p
	return nil
}

// authenticateClient checks HTTP Basic client credentials (Shared Key : Secret Key).
func (s *Server) authenticateClient(r *http.Request, f family) (*principal, error) {
	invalid := func() error {
		s.holdFailure(r.Context())
		return invalidClient(f)
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id == "" || secret == "" {
		return nil, invalid()
	}
	app, err := s.store.AuthenticateClient(r.Context(), id, secret, s.now())
	switch {
	case errors.Is(err, models.ErrBadCredentials):
		return nil, invalid()
	case err != nil:
		return nil, err // models.ErrBusy included: the outcome table answers the spike arrest
	}
	return &principal{app: app}, nil
}

// invalidClient is the family's answer to client credentials that are not valid (or an app
// disabled while its request was under way).
func invalidClient(f family) *Problem {
	if f.legacy() {
		return problem(http.StatusUnauthorized, codeNotAuthorised, "", "Client credentials are not valid")
	}
	return problem(http.StatusUnauthorized, cmnInvalidClient, "", "Invalid client credentials")
}

// holdFailure delays the answer to a failed client authentication by the configured time, unless
// the request ends first or too many are already waiting.
func (s *Server) holdFailure(ctx context.Context) {
	if s.authFailureDelay <= 0 {
		return
	}
	select {
	case s.delayed <- struct{}{}:
	default:
		return
	}
	defer func() { <-s.delayed }()
	t := time.NewTimer(s.authFailureDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// authenticateBearer checks a bearer token: generation, expiry, revocation, that a path naming an
// FI names the token's FI, and then the operation's access policy: the token's kind and scopes.
func (s *Server) authenticateBearer(r *http.Request, f family, version int, policy access.Policy, pathParams map[string]string) (*principal, error) {
	codes := f.codes()
	header := r.Header.Get("Authorization")
	if header == "" {
		code := codes.unauthorized
		switch f {
		case famDisclosures:
			code = dscNoAuthorization // no authorisation
		case famCustomers:
			code = uxuNoAuthorization
		case famInstitutionUsers:
			code = isrNoAuthorization
		}
		return nil, problem(http.StatusUnauthorized, code, "", "Authorization header is missing")
	}
	scheme, raw, ok := strings.Cut(header, " ")
	raw = strings.TrimSpace(raw)
	invalid := problem(http.StatusUnauthorized, codes.unauthorized, "", "Access token is invalid, expired or revoked")
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" || len(raw) > 256 {
		return nil, invalid
	}
	tok, err := s.store.Token(r.Context(), secure.TokenHash(raw))
	switch {
	case errors.Is(err, models.ErrNotFound):
		return nil, invalid
	case err != nil:
		return nil, err
	}
	if tok.Kind != models.TokenAccess || tok.Version != version || tok.RevokedAt != nil || !s.now().Before(tok.ExpiresAt) {
		return nil, invalid
	}
	for _, name := range []string{"di_fiid", "fiId"} {
		// A malformed FI id is the parameter's own 400 (D21), reported by validation.
		if fi, ok := pathParams[name]; ok && rules.FIID(fi) && fi != tok.InstitutionID {
			return nil, problem(http.StatusUnauthorized, codes.unauthorized, "", "Token is not valid for this FI")
		}
	}
	kind, known := access.KindOfGrant(tok.Grant)
	if !known || !policy.Allows(kind) {
		return nil, notAuthorised(f, "This kind of token may not call this operation")
	}
	if missing := policy.MissingScope(strings.Fields(tok.Scopes)); missing != "" {
		return nil, notAuthorised(f, "Token lacks the scope "+missing)
	}
	return &principal{token: tok, kind: kind, policy: policy}, nil
}
