package webapp_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/custreg/custreg/client"
	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/examples/webapp"
	"github.com/custreg/custreg/handlers"
)

const (
	sandboxClient = "sandbox-app"
	sandboxSecret = "sandbox-secret"
	fiID          = "01111"
)

// stack is the API, built by handlers.New as `custreg --sandbox` builds it, over a fresh SQLite
// sandbox database, with the sample app mounted at /sample/register when sample is set. The
// sample's API base URL is the server's own address, as in the sandbox.
type stack struct {
	url   string
	store *db.Store
	logs  *syncBuffer // the service's and the sample's log, at debug level
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newStack(t *testing.T, sandbox bool, sample func(apiURL string) webapp.Config) *stack {
	t.Helper()
	store := dbtest.SQLite(t)
	dbtest.Sandbox(t, store)
	srv := httptest.NewUnstartedServer(nil)
	st := &stack{url: "http://" + srv.Listener.Addr().String(), store: store, logs: &syncBuffer{}}
	log := slog.New(slog.NewJSONHandler(st.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := handlers.Options{Store: store, Log: log, Version: "test", Sandbox: sandbox}
	if sample != nil {
		cfg := sample(st.url)
		cfg.Log = log
		app, err := webapp.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		opts.Sample = app
	}
	e, err := handlers.New(opts)
	if err != nil {
		t.Fatalf("build stack: %v", err)
	}
	srv.Config.Handler = e
	srv.Start()
	t.Cleanup(srv.Close)
	return st
}

// sandboxSample is the configuration main gives the sandbox's sample.
func sandboxSample(apiURL string) webapp.Config {
	return webapp.Config{APIBaseURL: apiURL, FIID: fiID, FIName: "Sandbox Federal Credit Union",
		SuggestedClientID: sandboxClient, SuggestedClientSecret: sandboxSecret, BasePath: handlers.SamplePath,
		InspectorURL: "/portal/requests", PortalURL: "/portal"}
}

// standalone serves the app on its own, at the root, with fixed keys, against the API at apiURL.
func standalone(t *testing.T, apiURL string) string {
	t.Helper()
	app, err := webapp.New(webapp.Config{APIBaseURL: apiURL, FIID: fiID, ClientID: sandboxClient, ClientSecret: sandboxSecret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return srv.URL
}

// browser is a cookie-keeping client that remembers every answer it was given.
type browser struct {
	t       *testing.T
	base    string
	http    *http.Client
	mu      sync.Mutex
	answers []answer // every response, redirects included
	page    answer   // the last page
}

type answer struct {
	status  int
	url     string
	body    string
	cookies []string // Set-Cookie headers
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: base}
	b.http = &http.Client{Jar: jar, Transport: recordingTransport{b}}
	return b
}

type recordingTransport struct{ b *browser }

func (rt recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(body))
	rt.b.mu.Lock()
	rt.b.answers = append(rt.b.answers, answer{status: res.StatusCode, url: req.URL.String(), body: string(body), cookies: res.Header.Values("Set-Cookie")})
	rt.b.mu.Unlock()
	return res, nil
}

func (b *browser) finish(res *http.Response, err error) answer {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	b.page = answer{status: res.StatusCode, url: res.Request.URL.Path, body: string(body)}
	return b.page
}

func (b *browser) get(path string) answer {
	b.t.Helper()
	return b.finish(b.http.Get(b.base + path))
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// submit posts a form the way the last page's form would, with its CSRF token.
func (b *browser) submit(path string, form url.Values) answer {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(b.page.body)
	if m == nil {
		b.t.Fatalf("no form on the page before POST %s:\n%s", path, b.page.body)
	}
	form.Set("csrf", html.UnescapeString(m[1]))
	return b.finish(b.http.PostForm(b.base+path, form))
}

// person is what a test types into the wizard.
type person struct {
	username, password, member, first, last, ssn, birth, maiden string
	address, city, state, zip, phone, email                     string
}

func newPerson() person {
	n := rand.IntN(1_000_000)
	return person{username: fmt.Sprintf("web_user%06d", n), password: "Blue!Harbor42", member: fmt.Sprintf("WEB%09d", rand.IntN(1_000_000_000)),
		first: "Riley", last: "Quinn", ssn: fmt.Sprintf("%03d-%02d-%04d", 100+rand.IntN(500), 10+rand.IntN(89), 1000+rand.IntN(8999)),
		birth: "1987-06-15", maiden: "Quillfeather", address: "12 Harbor Rd", city: "Springfield", state: "il", zip: "62704",
		phone: "(217) 555-0166", email: fmt.Sprintf("riley.quinn%06d@example.com", n)}
}

func (b *browser) account(p person) answer {
	return b.submit("/account", url.Values{"username": {p.username}, "password": {p.password}, "passwordConfirm": {p.password}})
}

func (b *browser) aboutYou(p person) answer {
	return b.submit("/about-you", url.Values{"memberNumber": {p.member}, "firstName": {p.first}, "lastName": {p.last},
		"ssn": {p.ssn}, "birthDate": {p.birth}, "maidenName": {p.maiden}})
}

func (b *browser) contact(p person) answer {
	return b.submit("/contact", url.Values{"address1": {p.address}, "city": {p.city}, "state": {p.state},
		"postalCode": {p.zip}, "phone": {p.phone}, "email": {p.email}})
}

// The sandbox FI 01111's disclosures.
const (
	discIB    = "50145570B91B5BD3E063B9E011AC7529"
	discESIGN = "6A2F1C0D9E8B4A7F8C3D2B1A0F9E8D7C"
	discOLS   = "7B3E2D1C0A9F4B8E9D4C3B2A1F0E9D8C"
)

func (b *browser) accept(ids ...string) answer {
	return b.submit("/disclosures", url.Values{"accept": ids})
}

var guidOnPage = regexp.MustCompile(`<code id="customer-guid">([0-9a-f]{32})</code>`)

func wantPage(t *testing.T, a answer, path string, contains ...string) {
	t.Helper()
	if a.status != http.StatusOK || a.url != path {
		t.Fatalf("want page %s, got %d at %s:\n%s", path, a.status, a.url, a.body)
	}
	for _, c := range contains {
		if !strings.Contains(a.body, c) {
			t.Errorf("page %s does not contain %q:\n%s", path, c, a.body)
		}
	}
}

// wantFieldError checks that the page shows msg at the field: the message beside the input,
// the input pointing at it, and the error summary linking to the input.
func wantFieldError(t *testing.T, a answer, field, msg string) {
	t.Helper()
	errorP := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(field) + `-error"><span class="visually-hidden">Error: </span>([^<]*)</p>`)
	m := errorP.FindStringSubmatch(a.body)
	if m == nil || !strings.Contains(html.UnescapeString(m[1]), msg) {
		t.Fatalf("no error %q at %s on %s:\n%s", msg, field, a.url, a.body)
	}
	input := regexp.MustCompile(`<input[^>]* id="` + regexp.QuoteMeta(field) + `"[^>]*>`).FindString(a.body)
	if !strings.Contains(input, `aria-invalid="true"`) || !regexp.MustCompile(`aria-describedby="[^"]*\b`+regexp.QuoteMeta(field)+`-error\b`).MatchString(input) {
		t.Errorf("input %s is not marked invalid and described by its error: %s", field, input)
	}
	if !strings.Contains(a.body, `data-error-summary`) || !strings.Contains(a.body, `href="#`+field+`"`) {
		t.Errorf("the error summary does not link to #%s:\n%s", field, a.body)
	}
	if !strings.HasPrefix(titleOf(a.body), "Error: ") {
		t.Errorf("title %q does not start with Error:", titleOf(a.body))
	}
}

func titleOf(body string) string {
	m := regexp.MustCompile(`<title>([^<]*)</title>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// registeredUser reads the registration back through the API.
func registeredUser(t *testing.T, apiURL, guid string) client.FICustomer {
	t.Helper()
	ctx := context.Background()
	api, err := client.NewClientWithResponses(apiURL)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := api.CreateAccessTokenV1WithFormdataBodyWithResponse(ctx, &client.CreateAccessTokenV1Params{DiTid: uuid.New(), DiFiid: fiID},
		client.CreateAccessTokenV1FormdataRequestBody{GrantType: client.TokenV1RequestGrantTypeClientCredentials}, client.BasicAuth(sandboxClient, sandboxSecret))
	if err != nil || tok.XML200 == nil {
		t.Fatalf("token: %v", err)
	}
	byGUID := client.GetCustomerV2ParamsFiCustomerIDTypeGUID
	got, err := api.GetCustomerV2WithResponse(ctx, fiID, guid, &client.GetCustomerV2Params{DiTid: uuid.New(), FiCustomerIDType: &byGUID},
		client.BearerAuth(tok.XML200.AccessToken), client.AcceptJSON)
	if err != nil || got.JSON200 == nil {
		t.Fatalf("get FI customer %s: %v %s", guid, err, got.Body)
	}
	return *got.JSON200
}

// acceptedDisclosures lists the names of the disclosures the member accepted, per the API.
func acceptedDisclosures(t *testing.T, apiURL, member string) []string {
	t.Helper()
	ctx := context.Background()
	api, err := client.NewClientWithResponses(apiURL)
	if err != nil {
		t.Fatal(err)
	}
	fi, scopes := fiID, "disclosures:read"
	tok, err := api.CreateAccessTokenV2WithFormdataBodyWithResponse(ctx, &client.CreateAccessTokenV2Params{TransactionID: uuid.New(), InstitutionID: &fi},
		client.CreateAccessTokenV2FormdataRequestBody{GrantType: client.TokenV2RequestGrantTypeClientCredentials, Scopes: &scopes},
		client.BasicAuth(sandboxClient, sandboxSecret))
	if err != nil || tok.JSON200 == nil {
		t.Fatalf("V2 token: %v", err)
	}
	list, err := api.ListInstitutionUserDisclosuresWithResponse(ctx, &client.ListInstitutionUserDisclosuresParams{TransactionID: uuid.New(), HostUserID: &member},
		client.BearerAuth(tok.JSON200.AccessToken))
	if err != nil || list.JSON200 == nil {
		t.Fatalf("user disclosures: %v %s", err, list.Body)
	}
	var out []string
	for _, d := range list.JSON200.InstitutionUserDisclosures {
		if d.InstitutionUserDisclosureStatus != nil && *d.InstitutionUserDisclosureStatus == "ACCEPTED" {
			out = append(out, d.InstitutionDisclosureName)
		}
	}
	return out
}

// TestStandaloneWizardRegistersACustomer: the app on its own, with fixed keys, walks the four
// steps (the FI's policy shown on the first, the disclosures fetched from the API on the last)
// and registers the customer through Register v4; the API then knows the customer by the GUID
// the success page shows, with the disclosures the user ticked accepted.
func TestStandaloneWizardRegistersACustomer(t *testing.T) {
	api := newStack(t, true, nil)
	b := newBrowser(t, standalone(t, api.url))
	p := newPerson()

	wantPage(t, b.get("/"), "/account", "Step 1 of 4", "Username: 8 to 20 characters.", "Password: 6 to 32 characters.",
		`<label for="username">Username</label>`, `aria-describedby="username-hint"`, `autocomplete="new-password"`)
	wantPage(t, b.account(p), "/about-you", "Step 2 of 4", `<label for="ssn">Social Security number</label>`)
	wantPage(t, b.aboutYou(p), "/contact", "Step 3 of 4")
	wantPage(t, b.contact(p), "/disclosures", "Step 4 of 4",
		"Online Banking Agreement", "E-Sign Consent", "Online Statements Agreement",
		`href="https://sandbox.custreg.example/disclosures/01111/esign-consent-v1.html"`,
		`id="disclosure-`+discOLS+`"`, "required", "optional")
	done := b.accept(discIB, discESIGN, discOLS)
	wantPage(t, done, "/done", "You are registered", p.username, p.member,
		"/registration/v4/fis/01111/fiCustomers", "/v1/institution-disclosures", "di_tid: ")
	m := guidOnPage.FindStringSubmatch(done.body)
	if m == nil {
		t.Fatalf("no customer GUID on the success page:\n%s", done.body)
	}
	c := registeredUser(t, api.url, m[1])
	if c.MemberNumber != p.member {
		t.Errorf("the API has member %q for GUID %s, want %q", c.MemberNumber, m[1], p.member)
	}
	got := acceptedDisclosures(t, api.url, p.member)
	sort.Strings(got)
	if strings.Join(got, ",") != "ESIGN,IB,OLS" {
		t.Errorf("accepted disclosures %v, want IB, ESIGN and OLS", got)
	}
	// Nothing the user typed is kept: the wizard starts empty again.
	if a := b.submit("/restart", url.Values{}); a.url != "/account" || strings.Contains(a.body, p.username) {
		t.Errorf("after restart: %s\n%s", a.url, a.body)
	}
}

// TestSandboxSampleAsksForKeys: in the sandbox the sample first asks which client app to use;
// one click takes sandbox-app (the page never shows its secret), the wizard then registers, and
// the success page links to the portal's request inspector.
func TestSandboxSampleAsksForKeys(t *testing.T) {
	api := newStack(t, true, sandboxSample)
	b := newBrowser(t, api.url+handlers.SamplePath)
	p := newPerson()

	keys := b.get("")
	wantPage(t, keys, handlers.SamplePath+"/keys", "Use sandbox-app", `href="/portal"`, `type="password"`)
	// Without keys, the steps lead back here.
	wantPage(t, b.get("/contact"), handlers.SamplePath+"/keys")
	wantPage(t, b.submit("/keys", url.Values{"use": {"suggested"}}), handlers.SamplePath+"/account", "Username: 8 to 20 characters.")
	b.account(p)
	b.aboutYou(p)
	b.contact(p)
	done := b.accept(discIB, discESIGN)
	wantPage(t, done, handlers.SamplePath+"/done", `href="/portal/requests"`, "/v1/oauth/token", "/oauth2/v1/token")
	if guidOnPage.FindStringSubmatch(done.body) == nil {
		t.Fatalf("no GUID:\n%s", done.body)
	}
	if got := acceptedDisclosures(t, api.url, p.member); len(got) != 2 {
		t.Errorf("accepted disclosures %v, want IB and ESIGN only", got)
	}
	for _, a := range b.answers {
		if strings.Contains(a.body, sandboxSecret) || strings.Contains(strings.Join(a.cookies, ";"), sandboxSecret) {
			t.Errorf("%s: the client secret reached the browser", a.url)
		}
	}
}

// TestKeysOfYourOwn: keys typed on the keys page are tried with a token request: wrong ones are
// refused at the secret's field (never echoed), right ones are used for the session.
func TestKeysOfYourOwn(t *testing.T) {
	api := newStack(t, true, sandboxSample)
	b := newBrowser(t, api.url+handlers.SamplePath)
	b.get("/keys")
	wrong := b.submit("/keys", url.Values{"clientId": {sandboxClient}, "clientSecret": {"not-the-secret"}})
	wantFieldError(t, wrong, "clientSecret", "The token service refused this shared key and secret for FI 01111")
	if !strings.Contains(wrong.body, "90001") || strings.Contains(wrong.body, "not-the-secret") || !strings.Contains(wrong.body, `value="sandbox-app"`) {
		t.Errorf("want the 90001 answer, the client id kept and the secret gone:\n%s", wrong.body)
	}
	empty := b.submit("/keys", url.Values{"clientId": {""}, "clientSecret": {""}})
	wantFieldError(t, empty, "clientId", "Enter the shared key")
	wantFieldError(t, empty, "clientSecret", "Enter the secret key")
	ok := b.submit("/keys", url.Values{"clientId": {"sandbox-limited"}, "clientSecret": {"sandbox-limited-secret"}})
	wantPage(t, ok, handlers.SamplePath+"/account")
	// sandbox-limited may not ask for disclosures:read: the last step says why it cannot go on.
	p := newPerson()
	b.account(p)
	b.aboutYou(p)
	last := b.contact(p)
	wantPage(t, last, handlers.SamplePath+"/disclosures", "could not be loaded", "CMN_90012", "Try loading the disclosures again")
	if strings.Contains(last.body, "sandbox-limited-secret") {
		t.Error("the secret reached the page")
	}
}

// TestFieldErrorShownAtItsFieldAndFixed: the API refuses a phone number the app let through;
// the app sends the user back to the contact step with the errorInfo at the phone field, the
// error summary first, every other answer kept; once fixed, the registration goes through.
func TestFieldErrorShownAtItsFieldAndFixed(t *testing.T) {
	api := newStack(t, true, nil)
	b := newBrowser(t, standalone(t, api.url))
	p := newPerson()
	p.phone = "123-456-7890" // area code 123: not a NANP number
	b.get("/")
	b.account(p)
	b.aboutYou(p)
	b.contact(p)
	back := b.accept(discIB, discESIGN)
	wantPage(t, back, "/contact", `value="1234567890"`, `value="`+p.email+`"`, `value="IL"`)
	wantFieldError(t, back, "phone", "(code 220014)")
	if strings.Contains(back.body, "FICustomer.") {
		t.Errorf("the error shows the API's field path instead of the field:\n%s", back.body)
	}
	// Step 4 cannot be reached around the error.
	wantPage(t, b.get("/disclosures"), "/contact")

	p.phone = "217-555-0166"
	step4 := b.contact(p)
	wantPage(t, step4, "/disclosures", `value="`+discESIGN+`" checked`)
	done := b.accept(discIB, discESIGN)
	wantPage(t, done, "/done", "You are registered")
}

// TestSeveralAPIErrorsEachAtItsField: several errorInfo of one answer land at their fields on
// their own steps; the summary of the first page lists the others with links to their steps.
func TestSeveralAPIErrorsEachAtItsField(t *testing.T) {
	api := newStack(t, true, nil)
	b := newBrowser(t, standalone(t, api.url))
	p := newPerson()
	p.ssn, p.zip = "000-12-3456", "ABCDE"
	b.get("/")
	b.account(p)
	b.aboutYou(p)
	b.contact(p)
	back := b.accept(discIB, discESIGN)
	wantFieldError(t, back, "ssn", "(code 220001)")
	if back.url != "/about-you" || !strings.Contains(back.body, `href="/contact#postalCode"`) {
		t.Fatalf("want step 2 with a link to the ZIP code's error on step 3, got %s:\n%s", back.url, back.body)
	}
	p.ssn = "123-45-6780"
	wantFieldError(t, b.aboutYou(p), "postalCode", "(code 220007)")
}

// TestDuplicateLoginKeepsTheForm: a username taken at the FI (any case) comes back as the
// API's 26201 at the username field; everything else stays filled, the password included, and
// a new username alone completes the registration.
func TestDuplicateLoginKeepsTheForm(t *testing.T) {
	api := newStack(t, true, nil)
	b := newBrowser(t, standalone(t, api.url))
	p := newPerson()
	p.username = "SandboxUser1"
	b.get("/")
	b.account(p)
	b.aboutYou(p)
	b.contact(p)
	back := b.accept(discIB, discESIGN)
	wantPage(t, back, "/account", `value="SandboxUser1"`, "You entered one before")
	wantFieldError(t, back, "username", "(code 26201)")
	if strings.Contains(back.body, p.password) {
		t.Error("the password was written back into the page")
	}

	// Only the username changes; the password fields stay empty. The app goes straight back to
	// the last step, and the other steps still hold what was typed.
	next := b.submit("/account", url.Values{"username": {"riley_" + p.member[3:]}, "password": {""}, "passwordConfirm": {""}})
	wantPage(t, next, "/disclosures", `value="`+discIB+`" checked`)
	wantPage(t, b.get("/about-you"), "/about-you", `value="`+p.member+`"`, `value="Quillfeather"`, `value="1987-06-15"`)
	wantPage(t, b.get("/contact"), "/contact", `value="`+p.email+`"`, `value="12 Harbor Rd"`)
	b.get("/disclosures")
	wantPage(t, b.accept(discIB, discESIGN), "/done", "You are registered")
	// The kept password is the one the user chose: it logs in.
	ctx := context.Background()
	c, _ := client.NewClientWithResponses(api.url)
	login, err := c.CreateAccessTokenV1WithFormdataBodyWithResponse(ctx, &client.CreateAccessTokenV1Params{DiTid: uuid.New(), DiFiid: fiID},
		client.CreateAccessTokenV1FormdataRequestBody{GrantType: "password", Username: ptr("riley_" + p.member[3:]), Password: &p.password},
		client.BasicAuth(sandboxClient, sandboxSecret))
	if err != nil || login.XML200 == nil {
		t.Fatalf("the new user cannot log in with the password of step 1: %v %s", err, login.Body)
	}
}

// TestRequiredDisclosuresAreEnforced: the last step refuses to submit until every required
// disclosure is ticked, showing the error at the unticked box, and sends nothing meanwhile;
// an optional one may stay unticked, and is then not recorded as accepted.
func TestRequiredDisclosuresAreEnforced(t *testing.T) {
	api := newStack(t, true, nil)
	b := newBrowser(t, standalone(t, api.url))
	p := newPerson()
	b.get("/")
	b.account(p)
	b.aboutYou(p)
	b.contact(p)
	refused := b.accept(discIB, discOLS)
	wantPage(t, refused, "/disclosures", `value="`+discIB+`" checked`, `value="`+discOLS+`" checked`)
	wantFieldError(t, refused, "disclosure-"+discESIGN, "Accept the E-Sign Consent to register")
	if strings.Contains(refused.body, `id="disclosure-`+discIB+`-error"`) {
		t.Error("a ticked disclosure shows an error")
	}
	if b.accept().url != "/disclosures" {
		t.Error("nothing ticked: want the disclosures step again")
	}
	done := b.accept(discIB, discESIGN)
	wantPage(t, done, "/done")
	// The success page lists every call the session made: one registration, the last one.
	if n := strings.Count(done.body, "<code>/registration/v4/fis/01111/fiCustomers</code>"); n != 1 {
		t.Errorf("Register v4 was called %d times, want once (only after the required disclosures were ticked)", n)
	}
	if got := acceptedDisclosures(t, api.url, p.member); len(got) != 2 || strings.Contains(strings.Join(got, ","), "OLS") {
		t.Errorf("accepted %v, want IB and ESIGN", got)
	}
}

// TestTheAppsOwnChecks: required fields, the policy's lengths and the repeated password are
// checked before anything is sent, each at its field.
func TestTheAppsOwnChecks(t *testing.T) {
	api := newStack(t, true, nil)
	b := newBrowser(t, standalone(t, api.url))
	b.get("/")
	short := b.submit("/account", url.Values{"username": {"short"}, "password": {"Blue!Harbor42"}, "passwordConfirm": {"Blue!Harbor43"}})
	wantFieldError(t, short, "username", "Username must be 8 to 20 characters")
	wantFieldError(t, short, "passwordConfirm", "The passwords do not match")
	empty := b.submit("/account", url.Values{})
	wantFieldError(t, empty, "username", "Enter a username")
	wantFieldError(t, empty, "password", "Enter a password")
	b.account(newPerson())
	missing := b.submit("/about-you", url.Values{"firstName": {"Riley"}})
	wantFieldError(t, missing, "lastName", "Enter your last name")
	wantFieldError(t, missing, "ssn", "Enter your Social Security number")
	if strings.Contains(missing.body, "middleName-error") {
		t.Error("the optional middle name is reported missing")
	}
	if !strings.Contains(missing.body, `value="Riley"`) {
		t.Error("the typed first name is gone")
	}
}

// TestNothingSecretReachesTheBrowser: across a whole registration in the sandbox sample, no
// answer (page, redirect or asset) and no cookie carries the client secret; the only cookie is
// the HttpOnly, SameSite session cookie, holding a random id; after submission no page carries
// the SSN, password, birth date or maiden name; no URL carries any value typed; and the log
// (service and sample, at debug level) carries none of them.
func TestNothingSecretReachesTheBrowser(t *testing.T) {
	api := newStack(t, true, sandboxSample)
	b := newBrowser(t, api.url+handlers.SamplePath)
	p := newPerson()
	b.get("")
	b.submit("/keys", url.Values{"use": {"suggested"}})
	b.account(p)
	b.aboutYou(p)
	b.contact(p)
	before := len(b.answers)
	b.accept(discIB, discESIGN)
	b.get("/done")
	b.get("/static/app.css")
	b.get("/static/app.js")

	secrets := []string{sandboxSecret, p.password, p.ssn, strings.ReplaceAll(p.ssn, "-", ""), p.birth, p.maiden}
	var cookies []string
	for i, a := range b.answers {
		cookies = append(cookies, a.cookies...)
		for _, s := range secrets {
			if strings.Contains(strings.Join(a.cookies, ";"), s) || strings.Contains(a.url, s) {
				t.Errorf("%s: a cookie or the URL carries %q", a.url, s)
			}
			if s == sandboxSecret || i >= before {
				if strings.Contains(a.body, s) {
					t.Errorf("%s: the answer carries %q", a.url, s)
				}
			}
		}
	}
	logs := api.logs.String()
	if !strings.Contains(logs, `"route":"/sample/register/*"`) {
		t.Errorf("the sample's requests are not in the access log:\n%s", logs)
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log carries %q", s)
		}
	}
	if len(cookies) != 1 {
		t.Fatalf("want one Set-Cookie in the whole session, got %q", cookies)
	}
	c := cookies[0]
	if !strings.HasPrefix(c, "webapp_session=") || !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") ||
		!strings.Contains(c, "Path="+handlers.SamplePath) {
		t.Errorf("session cookie %q", c)
	}
	for _, a := range b.answers {
		if strings.Contains(a.body, `type="hidden"`) && regexp.MustCompile(`type="hidden" name="(?:[^c]|c[^s])`).MatchString(a.body) {
			t.Errorf("%s: a hidden field other than the CSRF token", a.url)
		}
	}
}

// TestFormsNeedTheCSRFToken: a form without the session's token, or sent from another origin,
// is refused and changes nothing.
func TestFormsNeedTheCSRFToken(t *testing.T) {
	api := newStack(t, true, nil)
	base := standalone(t, api.url)
	b := newBrowser(t, base)
	b.get("/")
	res := b.finish(b.http.PostForm(base+"/account", url.Values{"username": {"web_user000001"}}))
	if res.status != http.StatusForbidden || !strings.Contains(res.body, "This form has expired") {
		t.Errorf("no token: %d %s", res.status, res.body)
	}
	m := csrfField.FindStringSubmatch(b.get("/").body)
	req, _ := http.NewRequest(http.MethodPost, base+"/account", strings.NewReader(url.Values{"csrf": {m[1]}, "username": {"web_user000001"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://attacker.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res := b.finish(b.http.Do(req)); res.status != http.StatusForbidden {
		t.Errorf("cross-site form: %d", res.status)
	}
	if strings.Contains(b.get("/account").body, "web_user000001") {
		t.Error("a refused form changed the session")
	}
}

// TestPagesAreSelfContained: every page refers only to the app's own assets, under a CSP that
// allows nothing else, and is never cached.
func TestPagesAreSelfContained(t *testing.T) {
	api := newStack(t, true, sandboxSample)
	res, err := http.Get(api.url + handlers.SamplePath + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	for _, ref := range regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(body), -1) {
		if strings.HasPrefix(ref[1], "http") || strings.HasPrefix(ref[1], "//") {
			t.Errorf("external reference %s", ref[1])
		}
	}
	for _, asset := range []string{"/static/app.css", "/static/app.js"} {
		res, err := http.Get(api.url + handlers.SamplePath + asset)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", asset, res.StatusCode)
		}
	}
	if res, _ := http.Get(api.url + handlers.SamplePath + "/nope"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown sample page: %d", res.StatusCode)
	}
}

// TestSampleOnlyInTheSandbox: outside sandbox mode the sample's paths answer exactly like paths
// that do not exist, even when a sample app is given.
func TestSampleOnlyInTheSandbox(t *testing.T) {
	api := newStack(t, false, sandboxSample)
	get := func(path string) (int, string) {
		res, err := http.Get(api.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		return res.StatusCode, string(body)
	}
	wantStatus, wantBody := get("/no/such/path")
	for _, p := range []string{handlers.SamplePath, handlers.SamplePath + "/keys", handlers.SamplePath + "/static/app.css"} {
		if status, body := get(p); status != http.StatusNotFound || body != wantBody || wantStatus != http.StatusNotFound {
			t.Errorf("%s: %d %s, want %d %s", p, status, body, wantStatus, wantBody)
		}
	}
}

// TestConfigIsChecked: New refuses a configuration it cannot work with, naming the field.
func TestConfigIsChecked(t *testing.T) {
	good := webapp.Config{APIBaseURL: "http://127.0.0.1:8080", FIID: "01111", ClientID: "a", ClientSecret: "b"}
	if _, err := webapp.New(good); err != nil {
		t.Fatalf("good config: %v", err)
	}
	for name, edit := range map[string]func(*webapp.Config){
		"APIBaseURL":   func(c *webapp.Config) { c.APIBaseURL = "127.0.0.1:8080" },
		"FIID":         func(c *webapp.Config) { c.FIID = "1111" },
		"ClientSecret": func(c *webapp.Config) { c.ClientSecret = "" },
		"policy": func(c *webapp.Config) {
			c.Policy = webapp.Policy{UsernameMin: 9, UsernameMax: 8, PasswordMin: 6, PasswordMax: 32}
		},
		"BasePath": func(c *webapp.Config) { c.BasePath = "sample" },
	} {
		c := good
		edit(&c)
		if _, err := webapp.New(c); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: want an error naming it, got %v", name, err)
		}
	}
	if p := webapp.PolicyFor("02222"); p.UsernameMax != 12 {
		t.Errorf("02222's policy %+v", p)
	}
	if p := webapp.PolicyFor("00016"); p != webapp.DefaultPolicy {
		t.Errorf("an unknown FI's policy %+v", p)
	}
}

func ptr[T any](v T) *T { return &v }
