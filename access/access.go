// Package access is the service's authorisation policy, written down once: for every operation,
// how its caller authenticates, which kinds of token may call it, which scopes the token needs,
// and whether a token bound to one end user may act only for that user. The HTTP layer enforces
// it for every request; docs/decisions.md shows the same table (a test keeps the two equal).
//
// It imports nothing: the policy is plain data.
package access

import (
	"fmt"
	"slices"
	"strings"
)

// Credential is how the caller of an operation proves who it is.
type Credential string

// Credentials.
const (
	Public       Credential = "none"          // operational endpoints (health, spec, docs, metrics)
	ClientSecret Credential = "client secret" // HTTP Basic Shared Key : Secret Key (token endpoints)
	V1Token      Credential = "V1 bearer"     // a token from POST /v1/oauth/token
	V2Token      Credential = "V2 bearer"     // a token from POST /oauth2/v1/token
)

// Kind is the kind of a bearer token: who it speaks for.
type Kind string

// Token kinds.
const (
	// Client is a client_credentials token: the app itself, FI-wide, naming users by parameter.
	Client Kind = "client"
	// User is a password-grant token: one end user, through the app that collected the password.
	User Kind = "user"
	// Refresh is an access token from the refresh_token grant: the same end user as the password
	// grant that issued the refresh token.
	Refresh Kind = "refresh"
	// Partner is an authorization_code token: a partner app acting for one end user who signed in
	// to the FI's digital banking (OIDC partner sign-in).
	Partner Kind = "partner"
)

// Kinds lists every token kind in a fixed order.
var Kinds = []Kind{Client, User, Refresh, Partner}

// KindOfGrant is the kind of an access token issued by grant; ok is false for an unknown grant,
// which no operation accepts.
func KindOfGrant(grant string) (k Kind, ok bool) {
	switch grant {
	case "client_credentials":
		return Client, true
	case "password":
		return User, true
	case "refresh_token":
		return Refresh, true
	case "authorization_code":
		return Partner, true
	}
	return "", false
}

// UserBound reports whether tokens of the kind speak for one end user.
func (k Kind) UserBound() bool { return k != Client }

// Policy is who may call one operation.
type Policy struct {
	Operation  string     // the spec's operationId
	Credential Credential // how the caller authenticates
	Kinds      []Kind     // token kinds accepted (bearer credentials only)
	Scopes     []string   // scopes the token must carry, all of them
	// OwnUserOnly: a user-bound token may name, read and change only its own user; naming
	// another user is refused. (Client tokens name any user of their FI.)
	OwnUserOnly bool
	Note        string // why, in a few words
}

// Allows reports whether a token of kind k may call the operation (scopes aside).
func (p Policy) Allows(k Kind) bool { return slices.Contains(p.Kinds, k) }

// MissingScope returns the first scope of the policy that granted lacks, or "".
func (p Policy) MissingScope(granted []string) string {
	for _, s := range p.Scopes {
		if !slices.Contains(granted, s) {
			return s
		}
	}
	return ""
}

// Scopes of the V2 token service; V1 tokens carry the app's configured scopes, which the wire
// never shows.
const (
	ScopeAccountsRead         = "accounts:read"
	ScopeAccountsReadUnmasked = "accounts:read_unmasked"
	ScopeDisclosuresRead      = "disclosures:read"
	ScopeDisclosuresWrite     = "disclosures:write"
	ScopeUsersRead            = "institution-users:read"
	ScopeUsersWrite           = "institution-users:write"
	ScopeTransactionsRead     = "transactions:read"
	ScopeUsersReadPII         = "institution-users:read_pii"     // V2 identification documents
	ScopeUsersBillPay         = "institution-users-billpay:read" // V1 bill pay login ids
)

var (
	anyToken   = []Kind{Client, User, Refresh, Partner}
	clientOnly = []Kind{Client}
	v1Kinds    = []Kind{Client, User} // the V1 token service has no refresh or code grants
)

// policies is the table. Keep it in the order of docs/decisions.md.
var policies = []Policy{
	{Operation: "getHealth", Credential: Public, Note: "liveness"},
	{Operation: "getReadiness", Credential: Public, Note: "readiness"},
	{Operation: "getOpenAPIYAML", Credential: Public, Note: "the published contract"},
	{Operation: "getOpenAPIJSON", Credential: Public, Note: "the published contract"},
	{Operation: "getDocs", Credential: Public, Note: "API reference page"},
	{Operation: "getMetrics", Credential: Public, Note: "metrics without identifiers"},
	{Operation: "getSandboxOutbox", Credential: Public, Note: "sandbox mode only (404 elsewhere): demo data, at most 50 messages"},

	{Operation: "createAccessTokenV1", Credential: ClientSecret, Note: "the app's grants and FIs decide"},
	{Operation: "createAccessTokenV2", Credential: ClientSecret, Note: "the app's grants, FIs and scopes decide"},
	{Operation: "revokeAccessTokenV2", Credential: ClientSecret, Note: "only the app's own tokens"},
	{Operation: "revokeAccessTokenV2Post", Credential: ClientSecret, Note: "only the app's own tokens"},

	{Operation: "registerCustomerV4", Credential: V1Token, Kinds: clientOnly, Scopes: []string{ScopeUsersWrite},
		Note: "creates users of the FI: the app itself, never an end user"},
	{Operation: "getCustomerV2", Credential: V1Token, Kinds: v1Kinds, Scopes: []string{ScopeUsersRead}, OwnUserOnly: true,
		Note: "profile with PII: a user token reads only its own"},

	{Operation: "listInstitutionDisclosures", Credential: V2Token, Kinds: anyToken, Scopes: []string{ScopeDisclosuresRead},
		Note: "definitions are shown to users"},
	{Operation: "createInstitutionDisclosure", Credential: V2Token, Kinds: clientOnly, Scopes: []string{ScopeDisclosuresWrite},
		Note: "administers the FI"},
	{Operation: "updateInstitutionDisclosure", Credential: V2Token, Kinds: clientOnly, Scopes: []string{ScopeDisclosuresWrite},
		Note: "administers the FI"},
	{Operation: "listInstitutionUserDisclosures", Credential: V2Token, Kinds: anyToken, Scopes: []string{ScopeDisclosuresRead}, OwnUserOnly: true},
	{Operation: "createInstitutionUserDisclosure", Credential: V2Token, Kinds: anyToken, Scopes: []string{ScopeDisclosuresWrite}, OwnUserOnly: true},
	{Operation: "updateInstitutionUserDisclosure", Credential: V2Token, Kinds: anyToken, Scopes: []string{ScopeDisclosuresWrite}, OwnUserOnly: true},
	{Operation: "deleteInstitutionUserDisclosure", Credential: V2Token, Kinds: anyToken, Scopes: []string{ScopeDisclosuresWrite}, OwnUserOnly: true},

	{Operation: "listAccountsV1", Credential: V2Token, Kinds: anyToken, Scopes: []string{ScopeAccountsRead}, OwnUserOnly: true,
		Note: "full numbers only with accounts:read_unmasked"},
	{Operation: "getAccountByIdV1", Credential: V2Token, Kinds: anyToken, Scopes: []string{ScopeAccountsRead}, OwnUserOnly: true,
		Note: "full number only with accounts:read_unmasked"},
	{Operation: "unlockUser", Credential: V2Token, Kinds: clientOnly, Scopes: []string{ScopeUsersWrite},
		Note: "administers the FI's users"},
	{Operation: "resetPassword", Credential: V2Token, Kinds: clientOnly, Scopes: []string{ScopeUsersWrite},
		Note: "recovery: the user has no password, so no token of their own"},
	{Operation: "completePasswordReset", Credential: V2Token, Kinds: clientOnly, Scopes: []string{ScopeUsersWrite},
		Note: "recovery: the passcode proves the user"},
	{Operation: "registerCustomerV2", Credential: V2Token, Kinds: clientOnly, Scopes: []string{ScopeUsersWrite},
		Note: "creates users of the FI: the app itself, never an end user"},
	{Operation: "getCustomerInformation", Credential: V2Token, Kinds: anyToken, Scopes: []string{ScopeUsersRead}, OwnUserOnly: true,
		Note: "profile with PII: a user token reads only its own"},
	{Operation: "getCustomerContactMethods", Credential: V2Token, Kinds: anyToken, Scopes: []string{ScopeUsersRead}, OwnUserOnly: true,
		Note: "masked destinations for a passcode"},
	{Operation: "updateContactInfo", Credential: V2Token, Kinds: anyToken, Scopes: []string{ScopeUsersWrite}, OwnUserOnly: true,
		Note: "a user changes only its own contacts"},
	{Operation: "getCustomerAccountsTransactionsV1", Credential: V2Token, Kinds: anyToken,
		Scopes: []string{ScopeAccountsRead, ScopeTransactionsRead}, OwnUserOnly: true,
		Note: "full numbers only with accounts:read_unmasked"},
	{Operation: "getOpenIDConfiguration", Credential: Public, Note: "OIDC discovery of the partner sign-in"},
	{Operation: "getJWKS", Credential: Public, Note: "public keys that verify ID tokens"},
	{Operation: "authorizeClientV1", Credential: V2Token, Kinds: clientOnly,
		Note: "the FI's own digital banking: the token's app must list the partner in codePartners"},
	{Operation: "generateAuthorizationCodeV1", Credential: V2Token, Kinds: clientOnly,
		Note: "the FI's own digital banking vouches for a signed-in user: the token's app must list the partner in codePartners"},
	{Operation: "listAccountsLegacyV2", Credential: V1Token, Kinds: v1Kinds, Scopes: []string{ScopeAccountsRead}, OwnUserOnly: true,
		Note: "full numbers only with getExportAcctNum and accounts:read_unmasked"},
	{Operation: "getInstitutionUserV1", Credential: V2Token, Kinds: anyToken, Scopes: []string{ScopeUsersRead}, OwnUserOnly: true,
		Note: "bill pay login ids also need institution-users-billpay:read; another user is 404"},
	{Operation: "getInstitutionUserV2", Credential: V2Token, Kinds: anyToken, Scopes: []string{ScopeUsersRead}, OwnUserOnly: true,
		Note: "identification documents also need institution-users:read_pii; another user is 404"},
	{Operation: "getUserStatusV1", Credential: V2Token, Kinds: anyToken, Scopes: []string{ScopeUsersRead}, OwnUserOnly: true,
		Note: "status flags only; another user is 404"},
}

var byOperation = func() map[string]Policy {
	m := make(map[string]Policy, len(policies))
	for _, p := range policies {
		if _, dup := m[p.Operation]; dup {
			panic("access: operation listed twice: " + p.Operation)
		}
		m[p.Operation] = p
	}
	return m
}()

// For returns the policy of an operation; ok is false for an operation the table does not
// name, which callers must refuse.
func For(operationID string) (p Policy, ok bool) {
	p, ok = byOperation[operationID]
	return p, ok
}

// All returns the table in its documented order.
func All() []Policy { return slices.Clone(policies) }

// Markdown renders the table as it appears in docs/decisions.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| Operation | Credential |")
	for _, k := range Kinds {
		fmt.Fprintf(&b, " %s |", k)
	}
	b.WriteString(" Scopes | Own user only | Why |\n|---|---|")
	for range Kinds {
		b.WriteString("---|")
	}
	b.WriteString("---|---|---|\n")
	for _, p := range policies {
		fmt.Fprintf(&b, "| `%s` | %s |", p.Operation, p.Credential)
		for _, k := range Kinds {
			switch {
			case p.Credential != V1Token && p.Credential != V2Token:
				b.WriteString(" n/a |")
			case p.Allows(k):
				b.WriteString(" yes |")
			default:
				b.WriteString(" no |")
			}
		}
		scopes := "—"
		if len(p.Scopes) > 0 {
			scopes = "`" + strings.Join(p.Scopes, "`, `") + "`"
		}
		own := "—"
		if p.OwnUserOnly {
			own = "yes"
		}
		note := p.Note
		if note == "" {
			note = "—"
		}
		fmt.Fprintf(&b, " %s | %s | %s |\n", scopes, own, note)
	}
	return b.String()
}
