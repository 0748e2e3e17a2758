package db

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/custreg/custreg/limits"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
	"github.com/custreg/custreg/secure"
)

// SandboxYAML is the bundled sandbox: demo FIs, client apps, disclosures, members and accounts.
//
//go:embed sandbox.yaml
var SandboxYAML []byte

// ProvisionFile describes an FI deployment: institutions with their policy, disclosures, host
// members and accounts (and optionally pre-registered users), and client apps.
type ProvisionFile struct {
	Institutions []InstitutionSpec `yaml:"institutions"`
	ClientApps   []ClientAppSpec   `yaml:"clientApps"`

	root *yaml.Node // the parsed document, so faults found later still have their lines
}

// fault is a fault at path (field names and indexes) with the line the file has for it.
func (pf *ProvisionFile) fault(msg string, path ...any) Fault {
	c := checker{root: pf.root}
	if c.root == nil {
		c.root = &yaml.Node{}
	}
	c.fault(msg, path...)
	return c.faults[0]
}

// InstitutionSpec is one FI of a provisioning file.
type InstitutionSpec struct {
	ID          string           `yaml:"id"`
	Name        string           `yaml:"name"`
	Policy      PolicySpec       `yaml:"policy"`
	Disclosures []DisclosureSpec `yaml:"disclosures"`
	Members     []MemberSpec     `yaml:"members"`
	// DocumentKey is the FI's identification-document export key: the PEM of an RSA public key
	// (at least 2048 bits) whose private half the FI keeps. Without one, identification
	// documents are never exported.
	DocumentKey string `yaml:"documentKey" text:"multiline"`
	// Messaging is the FI's SMS and voice gateway; omitted, a stored one is kept.
	Messaging *MessagingSpec `yaml:"messaging"`
}

// MessagingSpec is an FI's messaging gateway: SMS and voice messages are POSTed to WebhookURL,
// signed with WebhookSecret (see notify.Webhook).
type MessagingSpec struct {
	WebhookURL    string `yaml:"webhookUrl"`
	WebhookSecret string `yaml:"webhookSecret"`
}

// PolicySpec is an FI's registration policy; omitted values take the defaults.
type PolicySpec struct {
	DisclosureAcceptance string     `yaml:"disclosureAcceptance"`
	UsernameLength       *RangeSpec `yaml:"usernameLength"`
	PasswordLength       *RangeSpec `yaml:"passwordLength"`
	MaxDestinations      *int       `yaml:"maxDestinations"`
	LockoutThreshold     *int       `yaml:"lockoutThreshold"`
	// LockoutCooldown is a Go duration ("30m"); "0s" keeps locked users locked until an
	// operator unlocks them.
	LockoutCooldown *string `yaml:"lockoutCooldown"`
}

// RangeSpec is an inclusive length range.
type RangeSpec struct {
	Min int `yaml:"min"`
	Max int `yaml:"max"`
}

// MemberSpec is a record of the FI's host system.
type MemberSpec struct {
	MemberNumber string        `yaml:"memberNumber"`
	Name         string        `yaml:"name"`
	Accounts     []AccountSpec `yaml:"accounts"`
	Users        []UserSpec    `yaml:"users"`
	// BillPayLoginID is the member's login id at the FI's bill pay (OFX) provider.
	BillPayLoginID string `yaml:"billPayLoginId"`
}

// AccountSpec is one account of a member.
type AccountSpec struct {
	ID               string `yaml:"id"`
	Number           string `yaml:"number"`
	Category         string `yaml:"category"`
	Type             string `yaml:"type"`
	FIRawAccountType int64  `yaml:"fiRawAccountType"`
	FIAccountType    int64  `yaml:"fiAccountType"`
	TypeDescription  string `yaml:"typeDescription"`
	Description      string `yaml:"description"`
	NickName         string `yaml:"nickName"`
	HolderName       string `yaml:"primaryHolderName"`
	Currency         string `yaml:"currency"`
	CurrentBalance   string `yaml:"currentBalance"`
	AvailableBalance string `yaml:"availableBalance"`
	RoutingNumber    string `yaml:"routingNumber"`
	Closed           bool   `yaml:"closed"`
	// Transactions are the account's recent transactions, by their number.
	Transactions []TransactionSpec `yaml:"transactions"`
}

// TransactionSpec is one transaction of an account, identified within it by its number. The
// amount is positive; the type says whether it is a credit or a debit.
type TransactionSpec struct {
	ID              string `yaml:"id"`     // the opaque transaction id; empty, a fresh one is made
	Number          string `yaml:"number"` // the host's transaction number, unique per account
	Type            string `yaml:"type"`   // one of models.DebitTransactionTypes or CreditTransactionTypes
	Amount          string `yaml:"amount"`
	Currency        string `yaml:"currency"` // empty: the account's currency
	Description     string `yaml:"description"`
	TransactionDate string `yaml:"transactionDate"` // yyyy-MM-dd
	EffectiveDate   string `yaml:"effectiveDate"`   // yyyy-MM-dd; empty: the transaction date
	Pending         bool   `yaml:"pending"`
}

// UserSpec is a user already registered for digital banking (for demos and migrations).
type UserSpec struct {
	ID               string `yaml:"id"`
	LoginID          string `yaml:"loginId"`
	Password         string `yaml:"password"`
	FirstName        string `yaml:"firstName"`
	LastName         string `yaml:"lastName"`
	Email            string `yaml:"email"`
	SSN              string `yaml:"ssn"`
	BirthDate        string `yaml:"birthDate"`
	MotherMaidenName string `yaml:"motherMaidenName"`
	// InstitutionUserID and AuthID fix the user's other identifiers (32 upper-case and 32
	// lower-case hex); empty, fresh ones are made.
	InstitutionUserID string        `yaml:"institutionUserId"`
	AuthID            string        `yaml:"authId"`
	Phones            []PhoneSpec   `yaml:"phones"`
	Addresses         []AddressSpec `yaml:"postalAddresses"`
	// SubUsers are the ENTITLED retail users this (PRIMARY) user's member entitled: users of
	// their own (login, password, names, identifiers, contacts) sharing the member and its
	// accounts. A sub-user has no sub-users.
	SubUsers []UserSpec `yaml:"subUsers"`
}

// PhoneSpec is a user's phone: it becomes a VOICE and an SMS contact method, validated.
type PhoneSpec struct {
	Number      string `yaml:"number"`
	CountryCode string `yaml:"countryCode"`
}

// AddressSpec is a user's postal address.
type AddressSpec struct {
	Address1   string `yaml:"address1"`
	Address2   string `yaml:"address2"`
	City       string `yaml:"city"`
	State      string `yaml:"state"`
	PostalCode string `yaml:"postalCode"`
	Country    string `yaml:"country"`
}

// ClientAppSpec is a third-party app with its credentials and rights.
type ClientAppSpec struct {
	ClientID       string             `yaml:"clientId"`
	Secret         string             `yaml:"secret"`
	SecretHash     string             `yaml:"secretHash"`
	Name           string             `yaml:"name"`
	OfferingID     string             `yaml:"offeringId"`
	Institutions   []string           `yaml:"institutions"`
	Grants         []string           `yaml:"grants"`
	Scopes         []string           `yaml:"scopes"`
	TokenLifetimes TokenLifetimesSpec `yaml:"tokenLifetimes"`
	// RedirectURI is where a partner app (grant authorization_code) receives its codes; required
	// for such an app, refused for others.
	RedirectURI string `yaml:"redirectUri"`
	// AuthorizationFlow is a partner app's sign-in policy, as Authorize Client reports it.
	AuthorizationFlow *AuthorizationFlowSpec `yaml:"authorizationFlow"`
	// CodePartners names the partner apps (client ids with the authorization_code grant, in the
	// file or stored) this app, an FI's own digital banking, may request authorization codes for.
	CodePartners []string `yaml:"codePartners"`
	// Limits are the app's own quota and spike arrest; omitted, the server's defaults.
	Limits AppLimitsSpec `yaml:"limits"`
}

// AppLimitsSpec holds an app's request limits as rates: "N/s", "N/m", "N/h" or "N/d", or "none"
// for no limit; omitted, the server's defaults apply (--app-quota, --app-spike-arrest). Each
// instance of the service applies them on its own (docs/security.md).
type AppLimitsSpec struct {
	Quota       string `yaml:"quota"`
	SpikeArrest string `yaml:"spikeArrest"`
}

// AuthorizationFlowSpec holds a partner app's sign-in policy flags; omitted ones are false.
type AuthorizationFlowSpec struct {
	SecondaryAuthentication bool `yaml:"secondaryAuthentication"`
	Consent                 bool `yaml:"consent"`
	DeviceRegistration      bool `yaml:"deviceRegistration"`
}

// TokenLifetimesSpec holds token lifetimes in seconds; zero takes the default.
type TokenLifetimesSpec struct {
	V1      int `yaml:"v1"`
	V2      int `yaml:"v2"`
	Refresh int `yaml:"refresh"`
}

// ProvisionError lists every fault of a provisioning file, each with its line and field.
type ProvisionError struct{ Faults []Fault }

// Fault is one problem in a provisioning file.
type Fault struct {
	Line  int    // 1-based line in the file, 0 when unknown
	Field string // path such as institutions[0].policy.usernameLength.min
	Msg   string
}

func (e *ProvisionError) Error() string {
	var b strings.Builder
	b.WriteString("invalid provisioning file:")
	for _, f := range e.Faults {
		b.WriteString("\n  ")
		if f.Line > 0 {
			fmt.Fprintf(&b, "line %d: ", f.Line)
		}
		if f.Field != "" {
			b.WriteString(f.Field + ": ")
		}
		b.WriteString(f.Msg)
	}
	return b.String()
}

// ParseProvisionFile decodes and checks a provisioning file (YAML or JSON). Unknown fields, wrong
// types and rule violations are all reported, each with its line and field path.
func ParseProvisionFile(data []byte) (*ProvisionFile, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &ProvisionError{Faults: []Fault{{Msg: err.Error()}}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var pf ProvisionFile
	if err := dec.Decode(&pf); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			faults := make([]Fault, 0, len(te.Errors))
			for _, msg := range te.Errors {
				faults = append(faults, Fault{Msg: msg}) // yaml.v3 messages start with "line N:"
			}
			return nil, &ProvisionError{Faults: faults}
		}
		return nil, &ProvisionError{Faults: []Fault{{Msg: err.Error()}}}
	}
	c := checker{root: &root}
	c.checkText(reflect.ValueOf(pf), nil)
	c.check(&pf)
	if len(c.faults) > 0 {
		return nil, &ProvisionError{Faults: c.faults}
	}
	pf.root = &root
	return &pf, nil
}

type checker struct {
	root   *yaml.Node
	faults []Fault
	// transactionIDs are the transaction ids given so far: unique in the whole file.
	transactionIDs map[string]bool
}

// Bounds of free-text fields, set by their columns (package models).
const (
	maxTextLen = 128
	// The encrypted maiden name column holds 320 bytes of plain text (as Register v4 allows).
	maxMaidenNameBytes = 320
)

var (
	hex32Upper     = regexp.MustCompile(`^[0-9A-F]{32}$`)
	hex32Lower     = regexp.MustCompile(`^[0-9a-f]{32}$`)
	accountNumber  = regexp.MustCompile(`^[0-9A-Za-z-]{4,32}$`)
	accountIDSafe  = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)
	currency       = regexp.MustCompile(`^[A-Z]{3}$`)
	amount         = regexp.MustCompile(`^-?[0-9]{1,13}(\.[0-9]{1,2})?$`)
	positiveAmount = regexp.MustCompile(`^[0-9]{1,13}(\.[0-9]{1,2})?$`)
	txNumber       = regexp.MustCompile(`^[0-9A-Za-z-]{1,32}$`)
)

// fault records a problem at path (segments are field names and slice indexes).
func (c *checker) fault(msg string, path ...any) {
	var b strings.Builder
	for _, seg := range path {
		switch v := seg.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(v)
		}
	}
	c.faults = append(c.faults, Fault{Line: lineOf(c.root, path), Field: b.String(), Msg: msg})
}

// lineOf finds the line of the node at path, or of its closest existing ancestor.
func lineOf(root *yaml.Node, path []any) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, seg := range path {
		var next *yaml.Node
		switch v := seg.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == v {
						line = n.Content[i].Line
						next = n.Content[i+1]
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && v < len(n.Content) {
				next = n.Content[v]
				line = next.Line
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return line
}

// checkText faults every string of the file, at any depth, that is not rules.SafeText: the
// file's text is stored and shown by the API like what requests carry, where control, bidi and
// invisible characters are refused, and NUL or invalid UTF-8 would fail on PostgreSQL. The
// value itself is never repeated (it may be a password or a secret).
func (c *checker) checkText(v reflect.Value, path []any) {
	switch v.Kind() {
	case reflect.String:
		if !rules.SafeText(v.String()) {
			c.fault("must be text without control, invisible or bidi characters (UTF-8)", path...)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			c.checkText(v.Elem(), path)
		}
	case reflect.Slice:
		for i := range v.Len() {
			c.checkText(v.Index(i), append(slices.Clone(path), i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			switch {
			case !f.IsExported() || name == "" || name == "-":
			case f.Tag.Get("text") == "multiline" && v.Field(i).Kind() == reflect.String:
				// A PEM block: safe text line by line.
				for _, line := range strings.Split(strings.ReplaceAll(v.Field(i).String(), "\r\n", "\n"), "\n") {
					if !rules.SafeText(line) {
						c.fault("must be text without control, invisible or bidi characters (UTF-8)", append(slices.Clone(path), name)...)
						break
					}
				}
			default:
				c.checkText(v.Field(i), append(slices.Clone(path), name))
			}
		}
	}
}

func (c *checker) check(pf *ProvisionFile) {
	fis := map[string]bool{}
	ids := map[string]bool{} // users' GUIDs, institution user ids and auth ids: unique service-wide
	c.transactionIDs = map[string]bool{}
	for i := range pf.Institutions {
		fi := &pf.Institutions[i]
		at := func(p ...any) []any { return append([]any{"institutions", i}, p...) }
		if !rules.FIID(fi.ID) {
			c.fault("must be five digits, e.g. \"01111\" (quote it in YAML)", at("id")...)
		} else if fis[fi.ID] {
			c.fault("institution listed twice", at("id")...)
		}
		fis[fi.ID] = true
		if strings.TrimSpace(fi.Name) == "" || len(fi.Name) > 128 {
			c.fault("required, at most 128 characters", at("name")...)
		}
		if fi.DocumentKey != "" {
			if _, err := secure.ParseDocumentKey(fi.DocumentKey); err != nil {
				c.fault("must be the PEM of an RSA public key of at least 2048 bits (openssl pkey -pubout)", at("documentKey")...)
			}
		}
		c.checkPolicy(&fi.Policy, at("policy"))
		if m := fi.Messaging; m != nil {
			if !rules.WebhookURL(m.WebhookURL) {
				c.fault(fmt.Sprintf("required: an https URL (http only to localhost or 127.0.0.1), without user info, at most %d characters",
					rules.MaxWebhookURLLen), at("messaging", "webhookUrl")...)
			}
			if !rules.WebhookSecret(m.WebhookSecret) {
				c.fault(fmt.Sprintf("required: %d-%d printable characters without spaces (e.g. openssl rand -hex 32)",
					rules.MinWebhookSecretLen, rules.MaxWebhookSecretLen), at("messaging", "webhookSecret")...)
			}
		}
		names := map[string]bool{}
		for j, d := range fi.Disclosures {
			dat := func(p ...any) []any { return append(at("disclosures", j), p...) }
			if strings.TrimSpace(d.Name) == "" || len(d.Name) > 64 || !rules.Printable(d.Name) {
				c.fault("required, printable ASCII, at most 64 characters", dat("name")...)
			} else if names[strings.ToUpper(d.Name)] {
				c.fault("disclosure listed twice for this institution", dat("name")...)
			}
			names[strings.ToUpper(d.Name)] = true
			if d.ID != "" && !hex32Upper.MatchString(d.ID) {
				c.fault("must be 32 upper-case hex characters", dat("id")...)
			}
			if d.DataType != "" && d.DataType != "URL" {
				c.fault("only URL is supported", dat("dataType")...)
			}
			if d.Data != "" && (!rules.DisclosureDataURL(d.Data) || len(d.Data) > 2048) {
				c.fault("must be an http(s) URL of at most 2048 characters", dat("data")...)
			}
		}
		members := map[string]bool{}
		logins := map[string]bool{} // every user's and sub-user's login id in the FI
		for j := range fi.Members {
			m := &fi.Members[j]
			mat := func(p ...any) []any { return append(at("members", j), p...) }
			if !rules.MemberNumber(m.MemberNumber) {
				c.fault("must be 1-16 letters or digits (quote it in YAML)", mat("memberNumber")...)
			} else if members[m.MemberNumber] {
				c.fault("member listed twice for this institution", mat("memberNumber")...)
			}
			members[m.MemberNumber] = true
			if strings.TrimSpace(m.Name) == "" || len(m.Name) > 128 {
				c.fault("required, at most 128 characters", mat("name")...)
			}
			if m.BillPayLoginID != "" && (len(m.BillPayLoginID) > 64 || !rules.Printable(m.BillPayLoginID) || rules.Blank(m.BillPayLoginID)) {
				c.fault("printable ASCII, at most 64 characters", mat("billPayLoginId")...)
			}
			for k, a := range m.Accounts {
				c.checkAccount(&a, mat("accounts", k))
			}
			for k := range m.Users {
				u := &m.Users[k]
				c.checkUser(fi, m, u, logins, ids, mat("users", k))
				for l := range u.SubUsers {
					sub := &u.SubUsers[l]
					sat := mat("users", k, "subUsers", l)
					c.checkUser(fi, m, sub, logins, ids, sat)
					if len(sub.SubUsers) > 0 {
						c.fault("a sub-user has no sub-users", append(sat, "subUsers")...)
					}
				}
			}
		}
	}
	clients := map[string]bool{}
	for i, app := range pf.ClientApps {
		at := func(p ...any) []any { return append([]any{"clientApps", i}, p...) }
		if strings.TrimSpace(app.ClientID) == "" || len(app.ClientID) > 128 || !rules.Printable(app.ClientID) || strings.Contains(app.ClientID, ":") {
			c.fault("required, printable ASCII without ':', at most 128 characters", at("clientId")...)
		} else if clients[app.ClientID] {
			c.fault("client app listed twice", at("clientId")...)
		}
		clients[app.ClientID] = true
		switch {
		case (app.Secret == "") == (app.SecretHash == ""):
			c.fault("give exactly one of secret or secretHash", at("secret")...)
		case app.Secret != "" && (len(app.Secret) < 8 || len(app.Secret) > secure.MaxClientSecretLen):
			c.fault(fmt.Sprintf("must be 8-%d bytes", secure.MaxClientSecretLen), at("secret")...)
		case app.SecretHash != "" && (!secure.IsKeyedSecretHash(app.SecretHash) && !secure.IsLegacySecretHash(app.SecretHash) || len(app.SecretHash) > 256):
			c.fault("must be a digest made by this service (hmac-sha256$…) or an argon2id PHC string", at("secretHash")...)
		}
		if len(app.Institutions) == 0 {
			c.fault("at least one institution", at("institutions")...)
		}
		for j, id := range app.Institutions {
			if !rules.FIID(id) {
				c.fault("must be five digits", at("institutions", j)...)
			}
		}
		if len(app.Grants) == 0 {
			c.fault("at least one grant", at("grants")...)
		}
		for j, g := range app.Grants {
			if !slices.Contains(models.KnownGrants, g) {
				c.fault("unknown grant; known: "+strings.Join(models.KnownGrants, ", "), at("grants", j)...)
			}
		}
		for j, s := range app.Scopes {
			if !slices.Contains(models.KnownScopes, s) {
				c.fault("unknown scope; known: "+strings.Join(models.KnownScopes, ", "), at("scopes", j)...)
			}
		}
		for name, v := range map[string]int{"v1": app.TokenLifetimes.V1, "v2": app.TokenLifetimes.V2, "refresh": app.TokenLifetimes.Refresh} {
			if v < 0 || v > 31536000 {
				c.fault("seconds between 1 and 31536000 (0 or omitted: default)", at("tokenLifetimes", name)...)
			}
		}
		for name, v := range map[string]string{"quota": app.Limits.Quota, "spikeArrest": app.Limits.SpikeArrest} {
			if _, err := limits.ParseRate(v); v != "" && err != nil {
				c.fault("must be a rate such as 20000/h or 50/s (N/s, N/m, N/h or N/d, N from 1 to 1000000000), or none for no limit; omitted: the server's default", at("limits", name)...)
			}
		}
		if len(app.OfferingID) > 128 || len(app.Name) > 128 {
			c.fault("at most 128 characters", at("name")...)
		}
		c.checkPartnerFields(pf, i, at)
	}
}

// checkPartnerFields checks the OIDC partner sign-in fields of client app i: a partner (grant
// authorization_code) has a redirect URI; the flow flags and the redirect URI belong to partners
// only; code partners are other apps, each named once, and those in the file are partners.
func (c *checker) checkPartnerFields(pf *ProvisionFile, i int, at func(...any) []any) {
	app := &pf.ClientApps[i]
	partner := slices.Contains(app.Grants, "authorization_code")
	switch {
	case partner && app.RedirectURI == "":
		c.fault("required for an app with the authorization_code grant", at("redirectUri")...)
	case !partner && app.RedirectURI != "":
		c.fault("only for an app with the authorization_code grant", at("redirectUri")...)
	case app.RedirectURI != "" && !redirectURI(app.RedirectURI):
		c.fault("must be an absolute http(s) URL of at most 2048 characters, without a fragment", at("redirectUri")...)
	}
	if app.AuthorizationFlow != nil && !partner {
		c.fault("only for an app with the authorization_code grant", at("authorizationFlow")...)
	}
	seen := map[string]bool{}
	for j, id := range app.CodePartners {
		switch {
		case id == app.ClientID:
			c.fault("an app cannot request authorization codes for itself", at("codePartners", j)...)
		case seen[id]:
			c.fault("partner listed twice", at("codePartners", j)...)
		default:
			for _, other := range pf.ClientApps {
				if other.ClientID == id && !slices.Contains(other.Grants, "authorization_code") {
					c.fault("client app "+id+" lacks the authorization_code grant", at("codePartners", j)...)
				}
			}
		}
		seen[id] = true
	}
}

// redirectURI reports whether u is an absolute http(s) URL without a fragment, of at most 2048
// characters.
func redirectURI(u string) bool {
	p, err := url.Parse(u)
	return err == nil && len(u) <= 2048 && (p.Scheme == "https" || p.Scheme == "http") && p.Host != "" && p.Fragment == "" && rules.Printable(u)
}

func (c *checker) checkPolicy(p *PolicySpec, at []any) {
	path := func(s ...any) []any { return append(slices.Clone(at), s...) }
	switch p.DisclosureAcceptance {
	case "", models.AcceptAtRegistration, models.AcceptAtFirstLogin:
	default:
		c.fault("must be atRegistration or atFirstLogin", path("disclosureAcceptance")...)
	}
	if r := p.UsernameLength; r != nil && !rules.ValidUsernameRange(r.Min, r.Max) {
		c.fault("username length range must lie within 6-20 with min <= max", path("usernameLength")...)
	}
	if r := p.PasswordLength; r != nil && !rules.ValidPasswordRange(r.Min, r.Max) {
		c.fault("password length range must lie within 6-128 with min <= max", path("passwordLength")...)
	}
	if p.MaxDestinations != nil && (*p.MaxDestinations < 1 || *p.MaxDestinations > 50) {
		c.fault("must be between 1 and 50", path("maxDestinations")...)
	}
	if p.LockoutThreshold != nil && (*p.LockoutThreshold < 1 || *p.LockoutThreshold > 100) {
		c.fault("must be between 1 and 100", path("lockoutThreshold")...)
	}
	if p.LockoutCooldown != nil {
		if d, err := time.ParseDuration(*p.LockoutCooldown); err != nil || d < 0 || d > models.MaxLockoutCooldown || (d > 0 && d < time.Minute) || d%time.Second != 0 {
			c.fault("must be a duration such as 30m: 0s (operator unlock only) or 1m to 720h in whole seconds", path("lockoutCooldown")...)
		}
	}
}

func (c *checker) checkAccount(a *AccountSpec, at []any) {
	path := func(s ...any) []any { return append(slices.Clone(at), s...) }
	if !accountNumber.MatchString(a.Number) {
		c.fault("must be 4-32 letters, digits or dashes (quote it in YAML)", path("number")...)
	}
	if a.ID != "" && !accountIDSafe.MatchString(a.ID) {
		c.fault("must be 16-64 URL-safe characters", path("id")...)
	}
	if !slices.Contains(models.AccountCategories, a.Category) {
		c.fault("must be one of "+strings.Join(models.AccountCategories, ", "), path("category")...)
	}
	if !slices.Contains(models.AccountTypes, a.Type) {
		c.fault("unknown account type", path("type")...)
	}
	if a.Currency != "" && !currency.MatchString(a.Currency) {
		c.fault("must be an ISO 4217 code such as USD", path("currency")...)
	}
	for name, v := range map[string]string{"typeDescription": a.TypeDescription, "description": a.Description,
		"nickName": a.NickName, "primaryHolderName": a.HolderName} {
		if rules.TooLong(v, maxTextLen) {
			c.fault(fmt.Sprintf("at most %d characters", maxTextLen), path(name)...)
		}
	}
	if len(a.RoutingNumber) > 16 {
		c.fault("at most 16 characters", path("routingNumber")...)
	}
	for name, v := range map[string]string{"currentBalance": a.CurrentBalance, "availableBalance": a.AvailableBalance} {
		if v != "" && !amount.MatchString(v) {
			c.fault("must be a decimal amount such as 1234.56 (quote it in YAML)", path(name)...)
		}
	}
	numbers := map[string]bool{}
	for i := range a.Transactions {
		c.checkTransaction(&a.Transactions[i], numbers, path("transactions", i))
	}
}

func (c *checker) checkTransaction(t *TransactionSpec, numbers map[string]bool, at []any) {
	path := func(s ...any) []any { return append(slices.Clone(at), s...) }
	switch {
	case !txNumber.MatchString(t.Number):
		c.fault("required, 1-32 letters, digits or dashes (quote it in YAML)", path("number")...)
	case numbers[t.Number]:
		c.fault("transaction number listed twice for this account", path("number")...)
	}
	numbers[t.Number] = true
	if t.ID != "" {
		switch {
		case !accountIDSafe.MatchString(t.ID):
			c.fault("must be 16-64 URL-safe characters", path("id")...)
		case c.transactionIDs[t.ID]:
			c.fault("transaction id listed twice in this file", path("id")...)
		}
		c.transactionIDs[t.ID] = true
	}
	if !slices.Contains(models.DebitTransactionTypes, t.Type) && !slices.Contains(models.CreditTransactionTypes, t.Type) {
		c.fault("unknown transaction type (e.g. DEPOSIT, POS_PURCHASE, ACH_CREDIT)", path("type")...)
	}
	if !positiveAmount.MatchString(t.Amount) || minorUnits(t.Amount) == 0 {
		c.fault("must be a positive decimal amount such as 12.50 (quote it in YAML); the type says credit or debit", path("amount")...)
	}
	if t.Currency != "" && !currency.MatchString(t.Currency) {
		c.fault("must be an ISO 4217 code such as USD", path("currency")...)
	}
	if len(t.Description) > 128 || !rules.SafeText(t.Description) {
		c.fault("at most 128 characters, no control characters", path("description")...)
	}
	if !calendarDay(t.TransactionDate) {
		c.fault("required, a date yyyy-MM-dd (quote it in YAML)", path("transactionDate")...)
	}
	if t.EffectiveDate != "" && !calendarDay(t.EffectiveDate) {
		c.fault("must be a date yyyy-MM-dd (quote it in YAML)", path("effectiveDate")...)
	}
}

// calendarDay reports whether s is a real date written yyyy-MM-dd.
func calendarDay(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// checkUser checks a user or sub-user; logins (the FI's) and ids (the file's) collect what must
// not repeat.
func (c *checker) checkUser(fi *InstitutionSpec, m *MemberSpec, u *UserSpec, logins, ids map[string]bool, at []any) {
	path := func(s ...any) []any { return append(slices.Clone(at), s...) }
	if norm := rules.NormalizeUsername(u.LoginID); u.LoginID != "" && logins[norm] {
		c.fault("login id listed twice for this institution", path("loginId")...)
	} else {
		logins[norm] = true
	}
	for _, f := range []struct{ name, id string }{{"id", u.ID}, {"institutionUserId", u.InstitutionUserID}, {"authId", u.AuthID}} {
		if f.id != "" && ids[f.id] {
			c.fault("identifier listed twice", path(f.name)...)
		}
		ids[f.id] = true
	}
	minU, maxU := models.DefaultUsernameMin, models.DefaultUsernameMax
	if r := fi.Policy.UsernameLength; r != nil {
		minU, maxU = r.Min, r.Max
	}
	minP, maxP := models.DefaultPasswordMin, models.DefaultPasswordMax
	if r := fi.Policy.PasswordLength; r != nil {
		minP, maxP = r.Min, r.Max
	}
	if u.ID != "" && !hex32Lower.MatchString(u.ID) {
		c.fault("must be 32 lower-case hex characters", path("id")...)
	}
	if u.InstitutionUserID != "" && !hex32Upper.MatchString(u.InstitutionUserID) {
		c.fault("must be 32 upper-case hex characters", path("institutionUserId")...)
	}
	if u.AuthID != "" && !hex32Lower.MatchString(u.AuthID) {
		c.fault("must be 32 lower-case hex characters", path("authId")...)
	}
	for i, ph := range u.Phones {
		if !rules.NANPPhone(ph.Number) {
			c.fault("must be a 10-digit NANP phone number", path("phones", i, "number")...)
		}
		if ph.CountryCode != "" && ph.CountryCode != "1" {
			c.fault("must be 1 (NANP)", path("phones", i, "countryCode")...)
		}
	}
	for i, ad := range u.Addresses {
		if rules.Blank(ad.Address1) || rules.Blank(ad.City) {
			c.fault("address1 and city are required", path("postalAddresses", i, "address1")...)
		}
		for name, v := range map[string]string{"address1": ad.Address1, "address2": ad.Address2, "city": ad.City} {
			if rules.TooLong(v, rules.MaxAddressLen) {
				c.fault(fmt.Sprintf("at most %d characters", rules.MaxAddressLen), path("postalAddresses", i, name)...)
			}
		}
		if ad.Country != "" && !rules.Country(ad.Country) {
			c.fault("must be an ISO 3166-1 country code such as US", path("postalAddresses", i, "country")...)
		}
		if !rules.USState(ad.State) {
			c.fault("must be a USPS state or territory code", path("postalAddresses", i, "state")...)
		}
		if !rules.USPostalCode(ad.PostalCode) {
			c.fault("must be a ZIP or ZIP+4", path("postalAddresses", i, "postalCode")...)
		}
	}
	if p := rules.CheckUsername(u.LoginID, minU, maxU, m.MemberNumber); p != rules.UsernameOK {
		c.fault("login id breaks the username policy: "+p.String(), path("loginId")...)
	}
	if !rules.CheckPassword(u.Password, u.LoginID, minP, maxP) || len(u.Password) > secure.MaxPasswordLen {
		c.fault("password breaks the password policy", path("password")...)
	}
	if rules.Blank(u.FirstName) || rules.NameTooLong(u.FirstName) || rules.Blank(u.LastName) || rules.NameTooLong(u.LastName) {
		c.fault("first and last name required, at most 39 characters each", path("firstName")...)
	}
	if u.Email != "" && !rules.Email(u.Email) {
		c.fault("not a valid email address", path("email")...)
	}
	if u.SSN != "" && !rules.SSN(u.SSN) {
		c.fault("not a possibly-issued SSN (9 digits)", path("ssn")...)
	}
	if rules.TooLong(u.MotherMaidenName, maxTextLen) || len(u.MotherMaidenName) > maxMaidenNameBytes {
		c.fault(fmt.Sprintf("at most %d characters", maxTextLen), path("motherMaidenName")...)
	}
	if u.BirthDate != "" && !rules.BirthDate(u.BirthDate, time.Now()) {
		c.fault("must be a real past date yyyy-MM-dd", path("birthDate")...)
	}
}
