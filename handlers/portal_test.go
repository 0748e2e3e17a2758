package handlers_test

import (
	"context"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/handlers"
	"github.com/custreg/custreg/notify"
)

// browser is a visitor of the developer portal: cookies kept, redirects not followed.
type browser struct {
	a      *api
	client *http.Client
	page   string // the body of the last answer
}

func newBrowser(t *testing.T, a *api) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{a: a, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type pageAnswer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) send(t *testing.T, method, path string, form url.Values, headers map[string]string) pageAnswer {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.a.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", formContentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	b.page = string(data)
	return pageAnswer{res.StatusCode, res.Header, string(data)}
}

func (b *browser) get(t *testing.T, path string) pageAnswer {
	t.Helper()
	return b.send(t, http.MethodGet, path, nil, nil)
}

// post sends a form with the CSRF token of the last page seen.
func (b *browser) post(t *testing.T, path string, form url.Values) pageAnswer {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf_token") == "" {
		form.Set("csrf_token", b.csrf(t))
	}
	return b.send(t, http.MethodPost, path, form, nil)
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (b *browser) csrf(t *testing.T) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(b.page)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%s", b.page)
	}
	return m[1]
}

// text is the page's text content, roughly: tags dropped, entities decoded.
func text(page string) string {
	return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, " "))
}

const devPassword = "portal pass phrase 7"

// newPortal is a sandbox stack (portal, outbox) with the given grace period.
func newPortal(t *testing.T, store *db.Store, grace time.Duration) *api {
	t.Helper()
	outbox := &notify.Outbox{Store: store}
	return newAPIWith(t, store, func(o *handlers.Options) {
		o.Sandbox, o.Notifier, o.SecretRotationGrace = true, outbox, grace
	})
}

// verificationLink is the link of the newest message to email in the sandbox outbox.
func verificationLink(t *testing.T, a *api, email string) string {
	t.Helper()
	rows, err := a.store.OutboxMessages(context.Background(), email, 1)
	if err != nil || len(rows) == 0 {
		t.Fatalf("no message to %s: %v", email, err)
	}
	if rows[0].Channel != notify.ChannelEmail || rows[0].Passcode != "" {
		t.Errorf("message %+v", rows[0])
	}
	link := regexp.MustCompile(`http://\S+/portal/verify\?token=\S+`).FindString(rows[0].Body)
	if link == "" {
		t.Fatalf("no link in %q", rows[0].Body)
	}
	return strings.TrimPrefix(link, a.base)
}

// signedIn signs up, verifies and signs in a developer.
func signedIn(t *testing.T, a *api, email string) *browser {
	t.Helper()
	b := newBrowser(t, a)
	b.get(t, "/portal/signup")
	if r := b.post(t, "/portal/signup", url.Values{"email": {email}, "password": {devPassword}}); r.status != http.StatusOK {
		t.Fatalf("sign up: %d %s", r.status, r.body)
	}
	b.get(t, verificationLink(t, a, email))
	if r := b.post(t, "/portal/verify", url.Values{"token": {regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(b.page)[1]}}); r.status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	if r := b.post(t, "/portal/login", url.Values{"email": {email}, "password": {devPassword}}); r.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", r.status, r.body)
	}
	b.get(t, "/portal/apps")
	return b
}

// keys are an app's Shared Key and Secret Key as the portal showed them.
type keys struct{ id, secret string }

// createApp creates an app on the apps page and reads its keys off the page that shows them once.
func (b *browser) createApp(t *testing.T, name string) keys {
	t.Helper()
	b.get(t, "/portal/apps")
	r := b.post(t, "/portal/apps", url.Values{"name": {name}})
	if r.status != http.StatusCreated {
		t.Fatalf("create app: %d %s", r.status, r.body)
	}
	return b.keysOnPage(t)
}

func (b *browser) keysOnPage(t *testing.T) keys {
	t.Helper()
	id := regexp.MustCompile(`id="shared-key">([^<]+)<`).FindStringSubmatch(b.page)
	secret := regexp.MustCompile(`id="secret-key">([^<]+)<`).FindStringSubmatch(b.page)
	if id == nil || secret == nil {
		t.Fatalf("no keys on the page:\n%s", b.page)
	}
	return keys{html.UnescapeString(id[1]), html.UnescapeString(secret[1])}
}

// TestPortalIsAbsentOutsideSandbox: without --sandbox every portal path answers like a path that
// does not exist, whatever the method.
func TestPortalIsAbsentOutsideSandbox(t *testing.T) {
	a := newAPI(t)
	for _, p := range []string{"/portal", "/portal/", "/portal/signup", "/portal/login", "/portal/apps", "/portal/requests",
		"/portal/requests/feed", "/portal/assets/portal.css", "/portal/verify?token=x"} {
		wantProblem(t, a.do(t, http.MethodGet, p, nil, ""), http.StatusNotFound, "NOT_FOUND", "")
	}
	wantProblem(t, a.do(t, http.MethodPost, "/portal/login", map[string]string{"Content-Type": formContentType}, "email=a%40b.c&password=x"),
		http.StatusNotFound, "NOT_FOUND", "")
}

// TestPortalSignUpVerifyAndSignIn: sign up → a single-use link in the sandbox outbox → sign in;
// the session cookie is HttpOnly, SameSite=Strict and limited to /portal; pages are never cached
// and allow no inline script; on SQLite and PostgreSQL.
func TestPortalSignUpVerifyAndSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newPortal(t, store, time.Minute)
		b := newBrowser(t, a)
		r := b.get(t, "/portal")
		if r.status != http.StatusOK || !strings.Contains(r.body, "Sign up") {
			t.Fatalf("landing page: %d %s", r.status, r.body)
		}
		for name, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
			"Content-Security-Policy": "script-src 'self'", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
			if !strings.Contains(r.header.Get(name), want) {
				t.Errorf("%s: %q", name, r.header.Get(name))
			}
		}
		if strings.Contains(r.body, "<script>") || strings.Contains(r.body, "style=") {
			t.Error("inline script or style on the page")
		}
		b.get(t, "/portal/signup")
		r = b.post(t, "/portal/signup", url.Values{"email": {"not an address"}, "password": {"short"}})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `href="#email"`) || !strings.Contains(r.body, `href="#password"`) ||
			!strings.Contains(r.body, `aria-invalid="true"`) || strings.Contains(r.body, "short") {
			t.Errorf("invalid sign-up: %d %s", r.status, r.body)
		}
		const email = "Dev.One@Example.com"
		r = b.post(t, "/portal/signup", url.Values{"email": {email}, "password": {devPassword}})
		if r.status != http.StatusOK || !strings.Contains(r.body, "/sandbox/outbox?to=") || !strings.Contains(r.body, "custreg --sandbox sandbox outbox --to") {
			t.Fatalf("sign-up: %d %s", r.status, r.body)
		}
		link := verificationLink(t, a, email)

		b.get(t, "/portal/login")
		r = b.post(t, "/portal/login", url.Values{"email": {email}, "password": {devPassword}})
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "Verify your address first") {
			t.Errorf("sign in before verifying: %d %s", r.status, r.body)
		}
		r = b.get(t, link)
		if r.status != http.StatusOK || !strings.Contains(r.body, "Verify my address") {
			t.Fatalf("the link: %d %s", r.status, r.body)
		}
		token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(b.page)[1]
		if r := b.post(t, "/portal/verify", url.Values{"token": {token}}); r.status != http.StatusOK || !strings.Contains(r.body, "Your address is verified") {
			t.Fatalf("verify: %d %s", r.status, r.body)
		}
		if r := b.post(t, "/portal/verify", url.Values{"token": {token}}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "This link does not work") {
			t.Errorf("the link a second time: %d %s", r.status, r.body)
		}
		b.get(t, "/portal/login")
		r = b.post(t, "/portal/login", url.Values{"email": {email}, "password": {"wrong " + devPassword}})
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "The email address or the password is not right") ||
			!strings.Contains(r.body, `value="Dev.One@Example.com"`) || strings.Contains(r.body, devPassword) {
			t.Errorf("wrong password: %d %s", r.status, r.body)
		}
		r = b.post(t, "/portal/login", url.Values{"email": {"dev.one@example.com"}, "password": {devPassword}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/portal/apps" {
			t.Fatalf("sign in: %d %s", r.status, r.body)
		}
		cookie := ""
		for _, c := range r.header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "custreg_portal_session=") {
				cookie = c
			}
		}
		for _, attr := range []string{"Path=/portal", "HttpOnly", "SameSite=Strict", "Max-Age=43200"} {
			if !strings.Contains(cookie, attr) {
				t.Errorf("session cookie %q lacks %s", cookie, attr)
			}
		}
		if strings.Contains(cookie, "Secure") {
			t.Errorf("a cookie over plain HTTP cannot be Secure: %q", cookie)
		}
		if r := b.get(t, "/portal/apps"); r.status != http.StatusOK || !strings.Contains(r.body, "No apps yet") {
			t.Errorf("apps page: %d %s", r.status, r.body)
		}
		if r := b.get(t, "/portal/login"); r.status != http.StatusSeeOther {
			t.Errorf("sign-in page when signed in: %d", r.status)
		}
		// A second sign-up with a verified address changes nothing and says the same.
		other := newBrowser(t, a)
		other.get(t, "/portal/signup")
		if r := other.post(t, "/portal/signup", url.Values{"email": {email}, "password": {"another password 9"}}); r.status != http.StatusOK ||
			!strings.Contains(r.body, "Check the sandbox outbox") {
			t.Errorf("sign-up with a taken address: %d %s", r.status, r.body)
		}
		b.get(t, "/portal/apps")
		if r := b.post(t, "/portal/logout", nil); r.status != http.StatusSeeOther {
			t.Errorf("sign out: %d", r.status)
		}
		if r := b.get(t, "/portal/apps"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/portal/login" {
			t.Errorf("apps after signing out: %d %v", r.status, r.header)
		}
		if strings.Contains(a.logs.String(), devPassword) || strings.Contains(a.logs.String(), token) {
			t.Error("the log holds the password or the verification token")
		}
	})
}

// TestPortalRefusesFormsWithoutTheirToken: every form post needs the token of its own session
// (or, signed out, of its form cookie); one from another session, another site or none at all
// changes nothing.
func TestPortalRefusesFormsWithoutTheirToken(t *testing.T) {
	a := newPortal(t, dbtest.SQLite(t), time.Minute)
	alice := signedIn(t, a, "alice@example.com")
	bob := signedIn(t, a, "bob@example.com")
	aliceToken, bobToken := alice.csrf(t), bob.csrf(t)
	if aliceToken == bobToken {
		t.Fatal("two sessions share a form token")
	}
	for name, tc := range map[string]struct {
		form    url.Values
		headers map[string]string
	}{
		"no token":             {url.Values{"name": {"x"}}, nil},
		"another session's":    {url.Values{"name": {"x"}, "csrf_token": {bobToken}}, nil},
		"from another site":    {url.Values{"name": {"x"}, "csrf_token": {aliceToken}}, map[string]string{"Origin": "http://evil.example"}},
		"a cross-site request": {url.Values{"name": {"x"}, "csrf_token": {aliceToken}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		if r := alice.send(t, http.MethodPost, "/portal/apps", tc.form, tc.headers); r.status != http.StatusForbidden || !strings.Contains(r.body, "This form has expired") {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if r := alice.send(t, http.MethodPost, "/portal/logout", url.Values{}, nil); r.status != http.StatusForbidden {
		t.Errorf("sign-out without a token: %d", r.status)
	}
	visitor := newBrowser(t, a)
	if r := visitor.send(t, http.MethodPost, "/portal/login", url.Values{"email": {"alice@example.com"}, "password": {devPassword}}, nil); r.status != http.StatusForbidden {
		t.Errorf("a sign-in without a form cookie: %d", r.status)
	}
	alice.get(t, "/portal/apps")
	if !strings.Contains(alice.page, "No apps yet") {
		t.Error("a refused form created an app")
	}
	if r := alice.post(t, "/portal/apps", url.Values{"name": {"Same origin"}}); r.status != http.StatusCreated {
		t.Errorf("with its token: %d %s", r.status, r.body)
	}
}

// TestPortalThrottlesSignIn: five wrong passwords for an address block it, even with the right
// password, until the window of fifteen minutes has passed.
func TestPortalThrottlesSignIn(t *testing.T) {
	a := newPortal(t, dbtest.SQLite(t), time.Minute)
	signedIn(t, a, "carol@example.com")
	b := newBrowser(t, a)
	b.get(t, "/portal/login")
	for range 5 {
		if r := b.post(t, "/portal/login", url.Values{"email": {"carol@example.com"}, "password": {"not it at all"}}); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", r.status)
		}
	}
	r := b.post(t, "/portal/login", url.Values{"email": {"Carol@example.com"}, "password": {devPassword}})
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "Try again in 15 minute") {
		t.Fatalf("throttled: %d %v %s", r.status, r.header, r.body)
	}
	a.advance(15 * time.Minute)
	b.get(t, "/portal/login")
	if r := b.post(t, "/portal/login", url.Values{"email": {"carol@example.com"}, "password": {devPassword}}); r.status != http.StatusSeeOther {
		t.Errorf("after the window: %d %s", r.status, r.body)
	}
}

// TestPortalAppsAndSecretRotation: an app made in the portal gets tokens with its keys for both
// sandbox FIs; its secret is shown once and never listed; after a rotation both secrets work
// until the grace period ends (the injected clock), then the old one is refused; disabling it
// refuses its secrets and revokes its tokens; another developer can neither see nor change it.
func TestPortalAppsAndSecretRotation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		a := newPortal(t, store, 10*time.Minute)
		b := signedIn(t, a, "dana@example.com")
		k := b.createApp(t, "Dana's <onboarding> app")
		if !strings.HasPrefix(k.id, "app-") || len(k.secret) < 40 || !strings.Contains(b.page, "shown only once") ||
			!strings.Contains(b.page, "Dana&#39;s &lt;onboarding&gt; app") {
			t.Fatalf("secret page: %s", b.page)
		}
		for _, fi := range []string{fiCreditUnion, fiCommunityBank} {
			a.v2Token(t, k.id, k.secret, fi, "grant_type=client_credentials&scopes="+url.QueryEscape(scopeUsersRead))
		}
		user := a.v2Token(t, k.id, k.secret, fiCreditUnion, sandboxUserGrant)
		if user.RefreshToken == "" {
			t.Error("the password grant gives a refresh token")
		}
		v1 := a.v1TokenRequest(t, "/v1/oauth/token", k.id, k.secret, fiCreditUnion, "grant_type=client_credentials", nil)
		var legacy xmlToken
		if v1.status != http.StatusOK || xml.Unmarshal(v1.body, &legacy) != nil {
			t.Fatalf("V1 token: %d %s", v1.status, v1.body)
		}
		r := b.get(t, "/portal/apps")
		if !strings.Contains(r.body, k.id) || strings.Contains(r.body, k.secret) || !strings.Contains(r.body, "Active") {
			t.Errorf("apps page: %s", r.body)
		}

		eve := signedIn(t, a, "eve@example.com")
		if r := eve.get(t, "/portal/apps"); strings.Contains(r.body, k.id) {
			t.Error("another developer sees the app")
		}
		for _, action := range []string{"rotate", "disable"} {
			if r := eve.post(t, "/portal/apps/"+k.id+"/"+action, url.Values{"confirm": {"yes"}}); r.status != http.StatusNotFound {
				t.Errorf("%s another's app: %d", action, r.status)
			}
			if r := eve.post(t, "/portal/apps/sandbox-app/"+action, url.Values{"confirm": {"yes"}}); r.status != http.StatusNotFound {
				t.Errorf("%s an operator's app: %d", action, r.status)
			}
		}

		b.get(t, "/portal/apps")
		r = b.post(t, "/portal/apps/"+k.id+"/rotate", nil)
		if r.status != http.StatusOK || !strings.Contains(r.body, "keeps working until") || !strings.Contains(r.body, "10m0s") {
			t.Fatalf("rotate: %d %s", r.status, r.body)
		}
		rotated := b.keysOnPage(t)
		if rotated.id != k.id || rotated.secret == k.secret {
			t.Fatalf("rotated keys %+v", rotated)
		}
		a.v2Token(t, k.id, rotated.secret, fiCreditUnion, "grant_type=client_credentials")
		a.v2Token(t, k.id, k.secret, fiCreditUnion, "grant_type=client_credentials")
		if r := b.get(t, "/portal/apps"); !strings.Contains(r.body, "old secret works until") {
			t.Errorf("apps page during the grace period: %s", r.body)
		}
		a.advance(10*time.Minute + time.Second)
		wantProblem(t, a.v2TokenRequest(t, k.id, k.secret, fiCreditUnion, "grant_type=client_credentials"), http.StatusUnauthorized, "CMN_90004", "")
		live := a.v2Token(t, k.id, rotated.secret, fiCreditUnion, "grant_type=client_credentials&scopes="+url.QueryEscape(scopeUsersRead))

		b.get(t, "/portal/apps")
		if r := b.post(t, "/portal/apps/"+k.id+"/disable", nil); r.status != http.StatusBadRequest {
			t.Errorf("disable without confirming: %d", r.status)
		}
		r = b.post(t, "/portal/apps/"+k.id+"/disable", url.Values{"confirm": {"yes"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("disable: %d %s", r.status, r.body)
		}
		if r := b.get(t, "/portal/apps?notice=disabled"); !strings.Contains(r.body, "Disabled") || strings.Contains(r.body, "/rotate") {
			t.Errorf("apps page after disabling: %s", r.body)
		}
		wantProblem(t, a.v2TokenRequest(t, k.id, rotated.secret, fiCreditUnion, "grant_type=client_credentials"), http.StatusUnauthorized, "CMN_90004", "")
		wantProblem(t, a.v2TokenRequest(t, k.id, rotated.secret, fiCreditUnion, "grant_type=refresh_token&refresh_token="+user.RefreshToken),
			http.StatusUnauthorized, "CMN_90004", "")
		if r := a.do(t, http.MethodGet, customers+sandboxUser+"?userIdType=LOGIN_ID", ux(live.AccessToken), ""); r.status != http.StatusUnauthorized {
			t.Errorf("a token of the disabled app: %d %s", r.status, r.body)
		}
		if r := b.post(t, "/portal/apps/"+k.id+"/rotate", nil); r.status != http.StatusConflict {
			t.Errorf("rotate a disabled app: %d", r.status)
		}
		b.get(t, "/portal/apps")
		if r := b.post(t, "/portal/apps", url.Values{"name": {""}}); r.status != http.StatusBadRequest || !strings.Contains(r.body, `href="#name"`) {
			t.Errorf("an app without a name: %d %s", r.status, r.body)
		}
	})
}

// TestInspectorShowsOwnRequestsRedacted: the inspector lists the requests made with the
// developer's own apps — accepted and refused, through the token endpoints and with their
// tokens — newest first, filterable by status and app, with route, operation, status, error
// code and trace id; no password, secret, token or personal value of those requests shows;
// another developer sees none of them, and requests of operator apps are kept for nobody.
func TestInspectorShowsOwnRequestsRedacted(t *testing.T) {
	a := newPortal(t, dbtest.SQLite(t), time.Minute)
	b := signedIn(t, a, "frank@example.com")
	k := b.createApp(t, "Frank's app")
	k2 := b.createApp(t, "Frank's second app")

	tid := newTID()
	h := map[string]string{"Authorization": basic(k.id, k.secret), "transactionId": tid, "Content-Type": formContentType, "institutionId": fiCreditUnion}
	r := a.do(t, http.MethodPost, "/oauth2/v1/token", h, sandboxUserGrant)
	var user v2Token
	r.decode(t, &user)
	cc := a.v2Token(t, k.id, k.secret, fiCreditUnion, "grant_type=client_credentials&scopes="+url.QueryEscape(scopeUsersRead))
	wantProblem(t, a.do(t, http.MethodGet, customers+"nobody-here?userIdType=LOGIN_ID", ux(cc.AccessToken), ""), http.StatusNotFound, "UXU_88888", "")
	a.do(t, http.MethodGet, customers+sandboxUser+"?userIdType=LOGIN_ID", ux(cc.AccessToken), "")
	wantProblem(t, a.v2TokenRequest(t, k.id, "not-the-secret", fiCreditUnion, "grant_type=client_credentials"), http.StatusUnauthorized, "CMN_90004", "")
	v1 := a.v1TokenRequest(t, "/v1/oauth/token", k2.id, k2.secret, fiCreditUnion, "grant_type=client_credentials", nil)
	var legacy xmlToken
	if err := xml.Unmarshal(v1.body, &legacy); err != nil {
		t.Fatal(err)
	}
	reg := newRegistration(t, fiCreditUnion, withMember(memberAlex))
	if r := a.registerJSON(t, legacy.AccessToken, fiCreditUnion, newTID(), reg.json(t)); r.status != http.StatusOK {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	a.v2Token(t, sandboxApp, sandboxSecret, fiCreditUnion, "grant_type=client_credentials") // an operator's app: not kept

	page := b.get(t, "/portal/requests")
	if page.status != http.StatusOK || !strings.Contains(page.body, `<script src="/portal/assets/portal.js" defer>`) {
		t.Fatalf("inspector: %d %s", page.status, page.body)
	}
	shown := text(page.body)
	for _, want := range []string{"/oauth2/v1/token", "createAccessTokenV2", "/v1/customers/:customerId", "UXU_88888", "CMN_90004",
		"credentials or token refused", tid, "/registration/v4/fis/:di_fiid/fiCustomers", "registerCustomerV4", "grant_type=password",
		"password=[redacted]", `"access_token": "[redacted]"`, `"ssn": "[redacted]"`, `"acceptedDisclosure": "true"`, k.id, k2.id} {
		if !strings.Contains(shown, want) {
			t.Errorf("the inspector does not show %q", want)
		}
	}
	secrets := []string{k.secret, k2.secret, "not-the-secret", sandboxPassword, user.AccessToken, user.RefreshToken, cc.AccessToken, legacy.AccessToken,
		"frank@example.com", devPassword, "Jane", "Doe", reg.field("ssn"), regBirthDate, regMaiden, regPassword, regHostPIN,
		reg.field("person.contactInfo.emailAddress"), reg.field(inLogin), "100 Main St", "2175550123", memberAlex, sandboxUser}
	for _, s := range secrets {
		if strings.Contains(page.body, s) || strings.Contains(page.body, html.EscapeString(s)) {
			t.Errorf("the inspector shows %q", s)
		}
	}
	if n := strings.Count(page.body, "<li data-seq="); n != 7 {
		t.Errorf("%d requests listed, want 7 (not the operator app's)", n)
	}
	if strings.Index(shown, "registerCustomerV4") > strings.Index(shown, "createAccessTokenV2") {
		t.Error("newest first")
	}
	errorsOnly := text(b.get(t, "/portal/requests?status=4xx").body)
	// The refused secret names its operation too, though it was refused before reaching it.
	if !strings.Contains(errorsOnly, "UXU_88888") || !strings.Contains(errorsOnly, "createAccessTokenV2") || strings.Contains(errorsOnly, "registerCustomerV4") {
		t.Errorf("the 4xx filter: %s", errorsOnly)
	}
	if second := b.get(t, "/portal/requests?app="+k2.id).body; strings.Count(second, "<li data-seq=") != 2 {
		t.Errorf("the app filter shows %d requests", strings.Count(second, "<li data-seq="))
	}

	// Live updates: the feed gives what is newer than the newest row shown.
	newest := regexp.MustCompile(`<li data-seq="(\d+)"`).FindStringSubmatch(page.body)[1]
	if feed := b.get(t, "/portal/requests/feed?after="+newest); feed.status != http.StatusOK || strings.TrimSpace(feed.body) != "" {
		t.Errorf("nothing new: %d %q", feed.status, feed.body)
	}
	a.v2Token(t, k.id, k.secret, fiCommunityBank, "grant_type=client_credentials")
	feed := b.get(t, "/portal/requests/feed?after="+newest)
	if strings.Count(feed.body, "<li data-seq=") != 1 || !strings.Contains(feed.body, "createAccessTokenV2") {
		t.Errorf("one new request: %s", feed.body)
	}
	// A second refused secret of the same app is kept as well (its owner now comes from the cache).
	wantProblem(t, a.v2TokenRequest(t, k.id, "not-the-secret", fiCreditUnion, "grant_type=client_credentials"), http.StatusUnauthorized, "CMN_90004", "")
	if feed := b.get(t, "/portal/requests/feed?after="+newest); strings.Count(feed.body, "<li data-seq=") != 2 || !strings.Contains(feed.body, "credentials or token refused") {
		t.Errorf("the second refused secret: %s", feed.body)
	}
	if r := newBrowser(t, a).get(t, "/portal/requests/feed"); r.status != http.StatusUnauthorized {
		t.Errorf("the feed signed out: %d", r.status)
	}

	other := signedIn(t, a, "grace@example.com")
	if r := other.get(t, "/portal/requests"); strings.Contains(r.body, "<li data-seq=") || !strings.Contains(r.body, "No requests yet") {
		t.Errorf("another developer's inspector: %s", r.body)
	}
	if r := other.get(t, "/portal/requests/feed"); strings.TrimSpace(r.body) != "" {
		t.Errorf("another developer's feed: %s", r.body)
	}
	for _, s := range secrets[:9] {
		if strings.Contains(a.logs.String(), s) {
			t.Errorf("the log holds %q", s)
		}
	}
}
