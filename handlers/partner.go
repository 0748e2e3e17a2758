package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custreg/custreg/gen"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/openid"
	"github.com/custreg/custreg/rules"
	"github.com/custreg/custreg/secure"
)

// The partner sign-in (OIDC authorization-code flow, contract CUSTOMERS §1): the FI's own digital
// banking signs a user in, asks which scopes a partner app was approved for (Authorize Client),
// and obtains a short-lived code for that user and partner (Generate Authorization Code); the
// partner redeems the code at the token endpoint for a partner token, an ID token and, with
// offline_access, a refresh token.

// DefaultIssuer is the sandbox's issuer identifier (--oidc-issuer's default).
const DefaultIssuer = "http://127.0.0.1:8080"

// AuthCodeTTL is how long an authorization code may be redeemed.
const AuthCodeTTL = 60 * time.Second

// OpenID Connect scopes of requested_scopes; others are ignored, as the official text allows.
const (
	scopeOpenID        = "openid"
	scopeProfile       = "profile"
	scopeOfflineAccess = "offline_access"
)

// authTimeSkew is how far in the future a caller's auth_time may lie (clocks differ).
const authTimeSkew = 60 * time.Second

var institutionUserIDPattern = regexp.MustCompile(`^[0-9A-Fa-f]{32}$`)

// commaList splits a comma- (or space-) separated parameter into its distinct values, in order.
func commaList(param string) []string {
	var out []string
	for _, v := range strings.FieldsFunc(param, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// partnerFor resolves the partner app named by clientID for the calling FI app: institutionId
// must be the token's FI; the partner must exist, differ from the caller, be one the caller may
// request codes for, and be set up for the partner sign-in at that FI.
func (s *Server) partnerFor(ctx context.Context, institutionID, clientID string) (*models.ClientApp, error) {
	tok := infoFrom(ctx).principal.token
	if institutionID != tok.InstitutionID {
		return nil, problem(http.StatusBadRequest, cmnInstitution, "header:institutionId", "Header institutionId is invalid")
	}
	if clientID == "" || !rules.SafeText(clientID) {
		return nil, problem(http.StatusBadRequest, cmnInvalidClient, "/client_id", "Invalid client credentials")
	}
	partner, err := s.store.ClientApp(ctx, clientID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return nil, problem(http.StatusBadRequest, cmnInvalidClient, "/client_id", "Invalid client credentials")
	case err != nil:
		return nil, err
	}
	if partner.ID == tok.ClientAppID {
		return nil, problem(http.StatusBadRequest, cmnSelfAuthorized, "/client_id", "Self-authorization is not permitted")
	}
	caller, err := s.store.ClientAppByID(ctx, tok.ClientAppID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(strings.Fields(caller.CodePartners), partner.ClientID) {
		return nil, problem(http.StatusForbidden, cmnAccessBlocked, "/client_id", "Access blocked")
	}
	if !slices.Contains(strings.Fields(partner.Grants), "authorization_code") || !appMayActFor(partner, tok.InstitutionID) {
		return nil, problem(http.StatusBadRequest, cmnClientConfig, "/client_id", "Invalid client configuration")
	}
	return partner, nil
}

// AuthorizeClientV1 reports a partner app's approved scopes and sign-in policy (Authorize Client).
func (s *Server) AuthorizeClientV1(ctx context.Context, req gen.AuthorizeClientV1RequestObject) (gen.AuthorizeClientV1ResponseObject, error) {
	partner, err := s.partnerFor(ctx, req.Params.InstitutionID, req.Body.ClientID)
	if err != nil {
		return nil, err
	}
	out := gen.AuthorizeClientResponse{Scopes: strings.Join(strings.Fields(partner.Scopes), ","), AppID: partner.ClientID}
	out.AdditionalInfo.SecondaryAuthenticationEnabled = partner.SecondaryAuthentication
	out.AdditionalInfo.ConsentEnabled = partner.ConsentRequired
	out.AdditionalInfo.DeviceRegistrationEnabled = partner.DeviceRegistration
	return gen.AuthorizeClientV1200JSONResponse(out), nil
}

// GenerateAuthorizationCodeV1 issues an authorization code for a signed-in user and a partner
// app (Generate Authorization Code): single-use, for 60 seconds, stored only as a hash.
func (s *Server) GenerateAuthorizationCodeV1(ctx context.Context, req gen.GenerateAuthorizationCodeV1RequestObject) (gen.GenerateAuthorizationCodeV1ResponseObject, error) {
	body := req.Body
	partner, err := s.partnerFor(ctx, req.Params.InstitutionID, body.ClientID)
	if err != nil {
		return nil, err
	}
	fi := req.Params.InstitutionID
	scopes := commaList(body.Scopes)
	allowed := strings.Fields(partner.Scopes)
	if len(scopes) == 0 || slices.ContainsFunc(scopes, func(sc string) bool { return !slices.Contains(allowed, sc) }) {
		return nil, problem(http.StatusBadRequest, cmnScopes, "/scopes", "Request is invalid: scopes must be among the client's")
	}
	var oidcScopes []string
	for _, sc := range commaList(deref(body.RequestedScopes)) {
		if sc == scopeOpenID || sc == scopeProfile || sc == scopeOfflineAccess {
			oidcScopes = append(oidcScopes, sc)
		}
	}
	if !institutionUserIDPattern.MatchString(body.InstitutionUserID) {
		return nil, problem(http.StatusBadRequest, cmnInstitution, "/institution_user_id", "Form param institution_user_id is invalid")
	}
	if body.Username == "" || !rules.SafeText(body.Username) {
		return nil, problem(http.StatusBadRequest, cmnUsername, "/username", "Username is invalid")
	}
	c, err := s.store.CustomerByInstitutionUserID(ctx, fi, body.InstitutionUserID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return nil, problem(http.StatusBadRequest, cmnInstitution, "/institution_user_id", "Form param institution_user_id is invalid")
	case err != nil:
		return nil, err
	}
	if rules.NormalizeUsername(body.Username) != c.LoginIDNorm {
		// The two names of the signed-in user disagree: neither is trusted.
		return nil, problem(http.StatusBadRequest, cmnUsername, "/username", "Username is invalid")
	}
	if c.Locked || !c.Registered {
		return nil, problem(http.StatusBadRequest, cmnInvalidToken, "/username", "Invalid user")
	}
	now := s.now()
	authTime := now
	if v := deref(body.AuthTime); v != "" {
		sec, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil || sec <= 0 || time.Unix(sec, 0).After(now.Add(authTimeSkew)) {
			return nil, problem(http.StatusBadRequest, cmnScopes, "/auth_time", "Request is invalid: auth_time")
		}
		authTime = time.Unix(sec, 0)
	}
	raw, err := secure.NewToken()
	if err != nil {
		return nil, err
	}
	code := &models.AuthCode{Hash: secure.TokenHash(raw), InstitutionID: fi, ClientAppID: partner.ID,
		RequestedBy: infoFrom(ctx).principal.token.ClientAppID, CustomerID: c.ID,
		Scopes: strings.Join(scopes, " "), RequestedScopes: strings.Join(oidcScopes, " "),
		OIDC:  body.Nonce != nil || body.Aud != nil || body.RequestedScopes != nil,
		Nonce: deref(body.Nonce), Audience: deref(body.Aud), AuthTime: authTime.UTC(),
		IssuedAt: now, ExpiresAt: now.Add(AuthCodeTTL)}
	if err := s.store.SaveAuthCode(ctx, code); err != nil {
		return nil, err
	}
	return gen.GenerateAuthorizationCodeV1200JSONResponse{Code: raw, RedirectURI: partner.RedirectURI}, nil
}

// exchangeCode answers the authorization_code grant: the partner app redeems its code, once, for
// a partner token of the code's user, FI and scopes, an ID token in the OIDC flow, and a refresh
// token when offline_access was requested. Every unusable code gets the same answer.
func (s *Server) exchangeCode(ctx context.Context, app *models.ClientApp, raw, institutionID string) (issued, error) {
	if raw == "" {
		return issued{}, problem(http.StatusBadRequest, cmnRequest, "/code", "Authorization code is missing")
	}
	now := s.now()
	var out issued
	var redeemed models.AuthCode
	err := s.store.RedeemAuthCode(ctx, secure.TokenHash(raw), app.ID, now, func(code *models.AuthCode) ([]*models.Token, error) {
		if institutionID != "" && institutionID != code.InstitutionID {
			return nil, problem(http.StatusBadRequest, cmnInstitution, "header:institutionId", "Header institutionId is invalid")
		}
		if !appMayActFor(app, code.InstitutionID) {
			return nil, problem(http.StatusUnauthorized, cmnNotAuthorised, "", "Client is not authorised for this institution")
		}
		redeemed = *code
		offline := slices.Contains(strings.Fields(code.RequestedScopes), scopeOfflineAccess)
		var tokens []*models.Token
		var err error
		out, tokens, err = s.mint(app, code.InstitutionID, 2, "authorization_code", code.Scopes,
			&models.Customer{ID: code.CustomerID}, offline, originOf(ctx, app, nil, nil, nil))
		return tokens, err
	})
	switch {
	case errors.Is(err, models.ErrNotFound), errors.Is(err, models.ErrConflict):
		return issued{}, problem(http.StatusBadRequest, cmnInvalidToken, "/code", "Invalid token")
	case err != nil:
		return issued{}, err
	}
	out.customer = nil // the V2 answer names no customer
	if redeemed.OIDC {
		if out.idToken, err = s.idToken(ctx, app, &redeemed, now); err != nil {
			return issued{}, err
		}
	}
	return out, nil
}

// idToken signs the ID token of a redeemed code: the customer GUID as subject, the partner (and
// the requested audience) as audience, the code's nonce and auth_time, and the profile claims
// when profile was requested.
func (s *Server) idToken(ctx context.Context, app *models.ClientApp, code *models.AuthCode, now time.Time) (string, error) {
	claims := openid.Claims{Subject: code.CustomerID, Audience: []string{app.ClientID}, AuthTime: code.AuthTime, Nonce: code.Nonce}
	if code.Audience != "" && code.Audience != app.ClientID {
		claims.Audience = append(claims.Audience, code.Audience)
	}
	if slices.Contains(strings.Fields(code.RequestedScopes), scopeProfile) {
		c, err := s.store.CustomerByID(ctx, code.CustomerID)
		if err != nil {
			return "", err
		}
		p := &openid.Profile{GivenName: c.FirstName, MiddleName: c.MiddleName, FamilyName: c.LastName,
			PreferredUsername: c.LoginID, UpdatedAt: c.UpdatedAt}
		p.Name = strings.Join(strings.Fields(c.FirstName+" "+c.MiddleName+" "+c.LastName), " ")
		claims.Profile = p
	}
	return s.openID.Sign(claims, now)
}

// GetOpenIDConfiguration serves the OpenID Provider metadata.
func (s *Server) GetOpenIDConfiguration(context.Context, gen.GetOpenIDConfigurationRequestObject) (gen.GetOpenIDConfigurationResponseObject, error) {
	d := s.openID.Discovery(models.KnownScopes)
	return gen.GetOpenIDConfiguration200JSONResponse{
		Issuer: d.Issuer, AuthorizationEndpoint: d.AuthorizationEndpoint, TokenEndpoint: d.TokenEndpoint, JwksURI: d.JWKSURI,
		ResponseTypesSupported: d.ResponseTypesSupported, SubjectTypesSupported: d.SubjectTypesSupported,
		IDTokenSigningAlgValuesSupported: d.IDTokenSigningAlgValuesSupported, ScopesSupported: &d.ScopesSupported,
		GrantTypesSupported: &d.GrantTypesSupported, TokenEndpointAuthMethodsSupported: &d.TokenEndpointAuthMethodsSupported,
		ClaimsSupported: &d.ClaimsSupported,
	}, nil
}

// GetJWKS serves the keys that verify ID tokens.
func (s *Server) GetJWKS(context.Context, gen.GetJWKSRequestObject) (gen.GetJWKSResponseObject, error) {
	// go-jose renders the keys (RFC 7517); the generated type carries them to the answer.
	raw, err := json.Marshal(s.openID.JWKS())
	if err != nil {
		return nil, err
	}
	var out gen.JWKS
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return gen.GetJWKS200JSONResponse(out), nil
}
