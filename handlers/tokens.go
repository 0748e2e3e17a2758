package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
	"github.com/custreg/custreg/secure"
)

// issued is a freshly minted token pair; the raw values exist only here and in the response.
type issued struct {
	access, refresh       string
	accessTTL, refreshTTL int
	customer              *models.Customer
	idToken               string // authorization_code grants of the OIDC flow
}

// tokenOrigin is where a token request came from, kept with the token (D11).
type tokenOrigin struct{ ip, offering, userAgent string }

// originOf takes the device IP, offering and user agent from the headers when sent, else the
// caller's address and the app's configured offering.
func originOf(ctx context.Context, app *models.ClientApp, ip, offering, userAgent *string) tokenOrigin {
	o := tokenOrigin{ip: infoFrom(ctx).clientIP, offering: app.OfferingID, userAgent: deref(userAgent)}
	if v := deref(ip); v != "" {
		o.ip = v
	}
	if v := deref(offering); v != "" {
		o.offering = v
	}
	return o
}

// errBadUserCredentials hides whether the user exists, is locked or typed a wrong password.
var errBadUserCredentials = errors.New("user credentials are not valid")

// CreateAccessTokenV1 issues a legacy token (contract §3).
func (s *Server) CreateAccessTokenV1(ctx context.Context, req gen.CreateAccessTokenV1RequestObject) (gen.CreateAccessTokenV1ResponseObject, error) {
	info := infoFrom(ctx)
	app := info.principal.app
	fi := req.Params.DiFiid
	if ip := req.Params.OriginatingIP; ip != nil && !rules.IPAddress(*ip) {
		return nil, problem(http.StatusBadRequest, codeLegacyInvalid, "header:originating_ip", "Header 'originating_ip' invalid")
	}
	if !appMayActFor(app, fi) {
		return nil, problem(http.StatusUnauthorized, codeNotAuthorised, "", "Client is not authorised for this FI")
	}
	grant := string(req.Body.GrantType)
	if !slices.Contains(strings.Fields(app.Grants), grant) {
		msg := "app does not support client credentials"
		if grant == "password" {
			msg = "app does not support the password grant"
		}
		return nil, problem(http.StatusForbidden, codeNotAuthorised, "", msg)
	}
	origin := originOf(ctx, app, req.Params.OriginatingIP, req.Params.OfferingID, req.Params.UserAgent)
	var out issued
	var err error
	switch grant {
	case "client_credentials":
		// The V1 wire carries no scopes, but the token holds the app's configured ones: they
		// gate the V1 operations like the V2 ones (docs/decisions.md, access table).
		out, err = s.issue(ctx, app, fi, 1, grant, app.Scopes, nil, false, origin)
	case "password":
		// Hygiene refuses unsafe form values first; no lookup ever sees them either way.
		username, password := deref(req.Body.Username), deref(req.Body.Password)
		if username == "" || !rules.SafeText(username) {
			return nil, problem(http.StatusBadRequest, codeLegacyInvalid, "/username", "Form param 'username' invalid")
		}
		if password == "" || !rules.SafeText(password) {
			return nil, problem(http.StatusBadRequest, codeLegacyInvalid, "/password", "Form param 'password' invalid")
		}
		var c *models.Customer
		if c, err = s.verifyUser(ctx, fi, username, password); err != nil {
			if errors.Is(err, errBadUserCredentials) {
				return nil, problem(http.StatusUnauthorized, codeNotAuthorised, "", "login credentials are not valid")
			}
			return nil, err
		}
		out, err = s.issue(ctx, app, fi, 1, grant, app.Scopes, c, true, origin)
	}
	if err != nil {
		return nil, err
	}
	tok := gen.TokenV1{DiFiid: fi, AccessToken: out.access, ExpiresIn: strconv.Itoa(out.accessTTL)}
	if out.customer != nil {
		tok.DiFicustomer = &out.customer.ID
		tok.DiMemberNumber = &out.customer.Member.MemberNumber
		ttl := strconv.Itoa(out.refreshTTL)
		tok.RefreshToken, tok.RefreshTokenExpiresIn = &out.refresh, &ttl
	}
	// Always XML, whatever Accept says: the official operation declares XML only, and the
	// official collections send Accept: application/json and parse the XML.
	body, err := s.marshalXML("token", "", "TokenV1", tok)
	if err != nil {
		return nil, err
	}
	return gen.CreateAccessTokenV1200ApplicationXMLResponse{Body: bytes.NewReader(body), ContentLength: int64(len(body))}, nil
}

// CreateAccessTokenV2 issues a V2 token (contract §4.1).
func (s *Server) CreateAccessTokenV2(ctx context.Context, req gen.CreateAccessTokenV2RequestObject) (gen.CreateAccessTokenV2ResponseObject, error) {
	app := infoFrom(ctx).principal.app
	grant := string(req.Body.GrantType)
	if !slices.Contains(strings.Fields(app.Grants), grant) {
		return nil, problem(http.StatusForbidden, cmnForbidden, "/grant_type", "Client is not authorised for this grant type")
	}
	var out issued
	var err error
	switch grant {
	case "refresh_token":
		out, err = s.refresh(ctx, app, deref(req.Body.RefreshToken))
	case "authorization_code":
		out, err = s.exchangeCode(ctx, app, deref(req.Body.Code), deref(req.Params.InstitutionID))
	default:
		fi := deref(req.Params.InstitutionID)
		if fi == "" {
			return nil, problem(http.StatusBadRequest, cmnInstitution, "header:institutionId", "Header institutionId is missing")
		}
		if !appMayActFor(app, fi) {
			return nil, problem(http.StatusUnauthorized, cmnNotAuthorised, "", "Client is not authorised for this institution")
		}
		scopes, perr := requestedScopes(app, deref(req.Body.Scopes))
		if perr != nil {
			return nil, perr
		}
		var c *models.Customer
		if grant == "password" {
			username, password := deref(req.Body.Username), deref(req.Body.Password)
			if username == "" || !rules.SafeText(username) {
				return nil, problem(http.StatusBadRequest, cmnUsername, "/username", "Username is invalid")
			}
			if password == "" || !rules.SafeText(password) {
				return nil, problem(http.StatusBadRequest, cmnPassword, "/password", "Password is invalid")
			}
			if c, err = s.verifyUser(ctx, fi, username, password); err != nil {
				if errors.Is(err, errBadUserCredentials) {
					return nil, problem(http.StatusUnauthorized, cmnUserCredentials, "", "Invalid user credentials")
				}
				return nil, err
			}
		}
		out, err = s.issue(ctx, app, fi, 2, grant, scopes, c, grant == "password", originOf(ctx, app, nil, nil, nil))
	}
	if err != nil {
		return nil, err
	}
	resp := gen.TokenV2{AccessToken: out.access, ExpiresIn: strconv.Itoa(out.accessTTL), TokenType: gen.Bearer}
	if out.refresh != "" {
		ttl := strconv.Itoa(out.refreshTTL)
		resp.RefreshToken, resp.RefreshTokenExpiresIn = &out.refresh, &ttl
	}
	if out.idToken != "" {
		resp.IDToken = &out.idToken
	}
	traceID := infoFrom(ctx).traceID
	return gen.CreateAccessTokenV2200JSONResponse{Body: resp, Headers: gen.CreateAccessTokenV2200ResponseHeaders{
		TransactionID: &traceID}}, nil
}

// requestedScopes parses the comma-separated scopes parameter: every scope must be allowed for
// the app; none requested means all of them.
func requestedScopes(app *models.ClientApp, param string) (string, error) {
	allowed := strings.Fields(app.Scopes)
	requested := strings.FieldsFunc(param, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	if len(requested) == 0 {
		return app.Scopes, nil
	}
	for _, sc := range requested {
		if !slices.Contains(allowed, sc) {
			return "", problem(http.StatusBadRequest, cmnScopes, "/scopes", "Scopes not allowed for the app")
		}
	}
	slices.Sort(requested)
	return strings.Join(slices.Compact(requested), " "), nil
}

// refresh answers the refresh_token grant: a new V2 access token from a live refresh token the
// app obtained with a password or an authorization-code grant, for the same user with the same
// scopes and the same kind of rights (refreshedGrant). The refresh token itself does not rotate
// (D29).
func (s *Server) refresh(ctx context.Context, app *models.ClientApp, raw string) (issued, error) {
	if raw == "" {
		return issued{}, problem(http.StatusBadRequest, cmnRequest, "/refresh_token", "Refresh token is missing")
	}
	invalid := problem(http.StatusBadRequest, cmnInvalidToken, "/refresh_token", "Invalid token")
	rt, err := s.store.Token(ctx, secure.TokenHash(raw))
	switch {
	case errors.Is(err, models.ErrNotFound):
		return issued{}, invalid
	case err != nil:
		return issued{}, err
	}
	now := s.now()
	if rt.Kind != models.TokenRefresh || rt.ClientAppID != app.ID || rt.RevokedAt != nil || !now.Before(rt.ExpiresAt) || rt.CustomerID == nil {
		return issued{}, invalid
	}
	access, err := secure.NewToken()
	if err != nil {
		return issued{}, err
	}
	ttl := app.V2TokenTTL
	at := &models.Token{Hash: secure.TokenHash(access), Kind: models.TokenAccess, Version: 2, InstitutionID: rt.InstitutionID,
		ClientAppID: app.ID, Grant: refreshedGrant(rt.Grant), Scopes: rt.Scopes, CustomerID: rt.CustomerID, ParentHash: rt.Hash,
		IssuedAt: now, ExpiresAt: now.Add(time.Duration(ttl) * time.Second), OriginatingIP: infoFrom(ctx).clientIP, OfferingID: app.OfferingID}
	if err := s.saveTokens(ctx, at); err != nil {
		return issued{}, err
	}
	return issued{access: access, accessTTL: ttl, refresh: raw, refreshTTL: int(rt.ExpiresAt.Sub(now) / time.Second)}, nil
}

// refreshedGrant is the grant recorded on an access token minted from a refresh token that grant
// issued; the grant decides the token's kind (access.KindOfGrant). A password grant's refresh
// token gives refresh-kind tokens; a partner's (authorization_code) gives partner tokens again,
// so refreshing never widens what a partner may do.
func refreshedGrant(origin string) string {
	if origin == "authorization_code" {
		return origin
	}
	return "refresh_token"
}

// issue mints an access token (and a refresh token for password grants) and stores their hashes.
func (s *Server) issue(ctx context.Context, app *models.ClientApp, fi string, version int, grant, scopes string, c *models.Customer, withRefresh bool, origin tokenOrigin) (issued, error) {
	out, tokens, err := s.mint(app, fi, version, grant, scopes, c, withRefresh, origin)
	if err != nil {
		return out, err
	}
	return out, s.saveTokens(ctx, tokens...)
}

// saveTokens stores issued tokens; an app disabled since its request was authenticated gets the
// answer it would get now.
func (s *Server) saveTokens(ctx context.Context, tokens ...*models.Token) error {
	if err := s.store.SaveTokens(ctx, tokens...); errors.Is(err, models.ErrClientAppDisabled) {
		return invalidClient(infoFrom(ctx).family)
	} else if err != nil {
		return err
	}
	return nil
}

// mint makes an access token (and, withRefresh, a refresh token) without storing them: the raw
// values for the answer and the rows to store, refresh token first.
func (s *Server) mint(app *models.ClientApp, fi string, version int, grant, scopes string, c *models.Customer, withRefresh bool, origin tokenOrigin) (issued, []*models.Token, error) {
	now := s.now()
	out := issued{customer: c, accessTTL: app.V1TokenTTL}
	if version == 2 {
		out.accessTTL = app.V2TokenTTL
	}
	var err error
	if out.access, err = secure.NewToken(); err != nil {
		return out, nil, err
	}
	var customerID *string
	if c != nil {
		customerID = &c.ID
	}
	at := &models.Token{Hash: secure.TokenHash(out.access), Kind: models.TokenAccess, Version: version, InstitutionID: fi,
		ClientAppID: app.ID, Grant: grant, Scopes: scopes, CustomerID: customerID,
		IssuedAt: now, ExpiresAt: now.Add(time.Duration(out.accessTTL) * time.Second),
		OriginatingIP: origin.ip, OfferingID: origin.offering, UserAgent: origin.userAgent}
	tokens := []*models.Token{at}
	if withRefresh {
		if out.refresh, err = secure.NewToken(); err != nil {
			return out, nil, err
		}
		out.refreshTTL = app.RefreshTokenTTL
		rt := &models.Token{Hash: secure.TokenHash(out.refresh), Kind: models.TokenRefresh, Version: 2, InstitutionID: fi,
			ClientAppID: app.ID, Grant: grant, Scopes: scopes, CustomerID: customerID,
			IssuedAt: now, ExpiresAt: now.Add(time.Duration(out.refreshTTL) * time.Second),
			OriginatingIP: origin.ip, OfferingID: origin.offering, UserAgent: origin.userAgent}
		at.ParentHash = rt.Hash
		tokens = append([]*models.Token{rt}, tokens...)
	}
	return out, tokens, nil
}

// verifyUser checks a password grant through the store (lockout included): every failure is
// errBadUserCredentials, so the answer never says whether the user exists or is locked.
func (s *Server) verifyUser(ctx context.Context, fi, username, password string) (*models.Customer, error) {
	c, err := s.store.Authenticate(ctx, fi, username, password, s.now())
	if errors.Is(err, models.ErrUserLocked) {
		s.log.WarnContext(ctx, "user locked after repeated login failures", "fi", fi)
	}
	if errors.Is(err, models.ErrBadCredentials) {
		infoFrom(ctx).loginFailed = true // counted against the caller's address (guardLogins)
		return nil, errBadUserCredentials
	}
	return c, err
}

// RevokeAccessTokenV2 revokes a token of the calling app (contract §4.2).
func (s *Server) RevokeAccessTokenV2(ctx context.Context, req gen.RevokeAccessTokenV2RequestObject) (gen.RevokeAccessTokenV2ResponseObject, error) {
	if err := s.revoke(ctx, req.Body); err != nil {
		return nil, err
	}
	return gen.RevokeAccessTokenV2204Response{}, nil
}

// RevokeAccessTokenV2Post is the POST form of RevokeAccessTokenV2 (D8).
func (s *Server) RevokeAccessTokenV2Post(ctx context.Context, req gen.RevokeAccessTokenV2PostRequestObject) (gen.RevokeAccessTokenV2PostResponseObject, error) {
	if err := s.revoke(ctx, req.Body); err != nil {
		return nil, err
	}
	return gen.RevokeAccessTokenV2Post204Response{}, nil
}

func (s *Server) revoke(ctx context.Context, body *gen.RevokeRequest) error {
	if body == nil || strings.TrimSpace(body.Token) == "" {
		return problem(http.StatusBadRequest, cmnRequest, "/token", "Token to revoke is missing")
	}
	return s.store.RevokeToken(ctx, secure.TokenHash(strings.TrimSpace(body.Token)), infoFrom(ctx).principal.app.ID, s.now())
}

func deref[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}
