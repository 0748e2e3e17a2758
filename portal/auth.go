package portal

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/notify"
	"github.com/custreg/custreg/rules"
	"github.com/custreg/custreg/secure"
)

// Cookies of the portal. Both are HttpOnly, SameSite=Strict, limited to /portal, and Secure
// when the portal is reached over TLS.
const (
	sessionCookie = "custreg_portal_session" // the session token (its digest is stored)
	formCookie    = "custreg_portal_form"    // a random value the forms of a signed-out visitor are bound to
)

// Password rules of portal accounts.
const (
	minPassword = 10
	maxPassword = 128
)

type ctxKey string

const (
	ctxDeveloper ctxKey = "portal.developer"
	ctxSession   ctxKey = "portal.session"
)

func developerOf(c echo.Context) *models.Developer {
	dev, _ := c.Get(string(ctxDeveloper)).(*models.Developer)
	return dev
}

func sessionOf(c echo.Context) string {
	s, _ := c.Get(string(ctxSession)).(string)
	return s
}

// setCookie sets (or with maxAge < 0 clears) one of the portal's cookies.
func setCookie(c echo.Context, name, value string, maxAge int) {
	c.SetCookie(&http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge, HttpOnly: true,
		Secure: c.Scheme() == "https", SameSite: http.SameSiteStrictMode})
}

// withSession finds the signed-in developer from the session cookie; a stale cookie is cleared.
func (p *Portal) withSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(sessionCookie)
		if err != nil || ck.Value == "" {
			return next(c)
		}
		dev, err := p.store.PortalSession(c.Request().Context(), ck.Value, p.now())
		switch {
		case errors.Is(err, models.ErrNotFound):
			setCookie(c, sessionCookie, "", -1)
		case err != nil:
			return p.fail(c, err)
		default:
			c.Set(string(ctxDeveloper), dev)
			c.Set(string(ctxSession), ck.Value)
		}
		return next(c)
	}
}

// requireDeveloper sends a signed-out visitor to the sign-in page.
func (p *Portal) requireDeveloper(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if developerOf(c) == nil {
			return c.Redirect(http.StatusSeeOther, Prefix+"/login")
		}
		return next(c)
	}
}

// formToken is what a form carries to prove it came from a page of the portal: a digest of the
// session token (signed in) or of the form cookie (signed out), cookies a page of another site
// can neither read nor send (SameSite=Strict). The digest, not the cookie, goes into the page,
// so the HTML never holds the session token.
func formToken(purpose, value string) string {
	sum := sha256.Sum256([]byte("custreg portal form\x00" + purpose + "\x00" + value))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// csrfToken is the token of the forms on the page being rendered; a signed-out visitor gets a
// form cookie if they have none.
func (p *Portal) csrfToken(c echo.Context) (string, error) {
	if s := sessionOf(c); s != "" {
		return formToken("session", s), nil
	}
	if ck, err := c.Cookie(formCookie); err == nil && len(ck.Value) >= 32 {
		return formToken("form", ck.Value), nil
	}
	v, err := secure.NewToken()
	if err != nil {
		return "", err
	}
	setCookie(c, formCookie, v, 0)
	c.Request().AddCookie(&http.Cookie{Name: formCookie, Value: v}) // pages rendered later in this request agree
	return formToken("form", v), nil
}

// checkCSRF refuses a form post that does not carry the token of its session or form cookie,
// or that a browser says comes from another site.
func (p *Portal) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		want := ""
		if s := sessionOf(c); s != "" {
			want = formToken("session", s)
		} else if ck, err := c.Cookie(formCookie); err == nil && len(ck.Value) >= 32 {
			want = formToken("form", ck.Value)
		}
		got := c.FormValue("csrf_token")
		origin := r.Header.Get("Origin")
		// The token decides; the origin (when the browser names one) and Sec-Fetch-Site only
		// refuse what a browser says came from elsewhere.
		crossSite := r.Header.Get("Sec-Fetch-Site") == "cross-site" || (origin != "" && origin != "null" && origin != base(c))
		if want == "" || crossSite || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return p.message(c, http.StatusForbidden, "This form has expired", message{
				Paragraphs: []string{"The form was not sent from a page of this portal, or it is older than your session. " +
					"Nothing was changed. Go back, reload the page and send it again."},
				Link: Prefix, LinkText: "Go to the portal"})
		}
		return next(c)
	}
}

// limiter counts failures per key in fixed windows: limit failures within window block the key
// until the window ends. It forgets keys whose window has passed.
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	hits   map[string]*hits
}

type hits struct {
	start time.Time
	n     int
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{limit: limit, window: window, hits: map[string]*hits{}}
}

// wait is how long the key is blocked (0: not blocked).
func (l *limiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.hits[key]
	if !ok || now.Sub(h.start) >= l.window || h.n < l.limit {
		return 0
	}
	return h.start.Add(l.window).Sub(now)
}

// fail counts one failure of the key.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.hits) > 10000 {
		for k, h := range l.hits {
			if now.Sub(h.start) >= l.window {
				delete(l.hits, k)
			}
		}
	}
	h, ok := l.hits[key]
	if !ok || now.Sub(h.start) >= l.window {
		l.hits[key] = &hits{start: now, n: 1}
		return
	}
	h.n++
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
}

// throttle limits one kind of attempt by email address and by client address.
type throttle struct{ email, ip *limiter }

func (t throttle) wait(email, ip string, now time.Time) time.Duration {
	return max(t.email.wait(email, now), t.ip.wait(ip, now))
}

func (t throttle) fail(email, ip string, now time.Time) {
	t.email.fail(email, now)
	t.ip.fail(ip, now)
}

// tooMany is the answer to a throttled attempt.
func (p *Portal) tooMany(c echo.Context, what string, wait time.Duration) error {
	minutes := int(wait.Round(time.Minute) / time.Minute)
	if minutes < 1 {
		minutes = 1
	}
	c.Response().Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
	return p.message(c, http.StatusTooManyRequests, "Too many attempts", message{
		Paragraphs: []string{fmt.Sprintf("There were too many %s from here or for this address. Try again in %d minute(s).", what, minutes)},
		Link:       Prefix, LinkText: "Back to the portal"})
}

func (p *Portal) signupForm(c echo.Context) error {
	if developerOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, Prefix+"/apps")
	}
	return p.render(c, http.StatusOK, "signup", page{Title: "Create a developer account", Nav: "signup", Data: passwordRules})
}

var passwordRules = struct{ MinPassword, MaxPassword int }{minPassword, maxPassword}

func (p *Portal) signup(c echo.Context) error {
	email, password := strings.TrimSpace(c.FormValue("email")), c.FormValue("password")
	var problems []fieldProblem
	if !rules.Email(email) {
		problems = append(problems, fieldProblem{"email", "Enter an email address like name@example.com"})
	}
	switch n := len([]rune(password)); {
	case n < minPassword || len(password) > maxPassword:
		problems = append(problems, fieldProblem{"password", fmt.Sprintf("Enter a password of %d to %d characters", minPassword, maxPassword)})
	case strings.EqualFold(password, email):
		problems = append(problems, fieldProblem{"password", "Choose a password other than your email address"})
	}
	if len(problems) > 0 {
		return p.render(c, http.StatusBadRequest, "signup", page{Title: "Create a developer account", Nav: "signup", Errors: problems,
			Form: map[string]string{"email": email}, Data: passwordRules})
	}
	now, ip, norm := p.now(), c.RealIP(), db.NormalizeEmail(email)
	if wait := p.signups.wait(norm, ip, now); wait > 0 {
		return p.tooMany(c, "sign-ups", wait)
	}
	p.signups.fail(norm, ip, now) // every sign-up sends a message: each one counts
	if p.notifier == nil {
		return p.fail(c, errors.New("portal: no notifier to send the verification link"))
	}
	ctx := c.Request().Context()
	token, outcome, err := p.store.SignUpDeveloper(ctx, email, password, now)
	if err != nil {
		return p.fail(c, err)
	}
	msg := notify.Message{To: email, Channel: notify.ChannelEmail, Subject: "Verify your custreg sandbox developer account"}
	if outcome == db.AlreadyVerified {
		msg.Subject = "Your custreg sandbox developer account"
		msg.Body = "Someone (perhaps you) tried to sign up again with this address, which already has a verified developer account. " +
			"Sign in at " + base(c) + Prefix + "/login . Nothing was changed."
	} else {
		msg.Body = "Open this link to verify your address and finish signing up for the custreg sandbox developer portal:\n\n" +
			base(c) + Prefix + "/verify?token=" + url.QueryEscape(token) + "\n\nThe link works once, for 24 hours. " +
			"If you did not sign up, ignore this message."
	}
	if err := p.notifier.Send(ctx, msg); err != nil {
		return p.fail(c, err)
	}
	// The same answer whatever the address held, so the page tells nobody who has an account.
	return p.render(c, http.StatusOK, "checkemail", page{Title: "Check the sandbox outbox", Nav: "signup",
		Data: struct{ Email, OutboxURL string }{email, "/sandbox/outbox?to=" + url.QueryEscape(email)}})
}

func (p *Portal) verifyForm(c echo.Context) error {
	token := c.QueryParam("token")
	if token == "" || len(token) > 256 {
		return p.badLink(c)
	}
	// The link only shows a button: a mail scanner fetching it does not use up the token.
	return p.render(c, http.StatusOK, "verify", page{Title: "Verify your address", Data: struct{ Token string }{token}})
}

func (p *Portal) badLink(c echo.Context) error {
	return p.message(c, http.StatusBadRequest, "This link does not work", message{
		Paragraphs: []string{"The verification link was used already, replaced by a newer one, or is older than 24 hours.",
			"Sign up again with the same address to get a new link."},
		Link: Prefix + "/signup", LinkText: "Sign up again"})
}

func (p *Portal) verify(c echo.Context) error {
	_, err := p.store.VerifyDeveloper(c.Request().Context(), c.FormValue("token"), p.now())
	if errors.Is(err, models.ErrTokenInvalid) {
		return p.badLink(c)
	}
	if err != nil {
		return p.fail(c, err)
	}
	return p.render(c, http.StatusOK, "login", page{Title: "Sign in", Nav: "login", Notice: "Your address is verified. Sign in to create your first app."})
}

func (p *Portal) loginForm(c echo.Context) error {
	if developerOf(c) != nil {
		return c.Redirect(http.StatusSeeOther, Prefix+"/apps")
	}
	return p.render(c, http.StatusOK, "login", page{Title: "Sign in", Nav: "login"})
}

func (p *Portal) login(c echo.Context) error {
	email, password := strings.TrimSpace(c.FormValue("email")), c.FormValue("password")
	form := map[string]string{"email": email}
	if email == "" || password == "" || len(email) > rules.MaxEmailLen || len(password) > maxPassword {
		return p.render(c, http.StatusBadRequest, "login", page{Title: "Sign in", Nav: "login", Form: form,
			Errors: []fieldProblem{{"email", "Enter the email address and the password of your account"}}})
	}
	now, ip, norm := p.now(), c.RealIP(), db.NormalizeEmail(email)
	if wait := p.logins.wait(norm, ip, now); wait > 0 {
		return p.tooMany(c, "failed sign-ins", wait)
	}
	ctx := c.Request().Context()
	dev, err := p.store.AuthenticateDeveloper(ctx, email, password)
	switch {
	case errors.Is(err, models.ErrBadCredentials):
		p.logins.fail(norm, ip, now)
		return p.render(c, http.StatusUnauthorized, "login", page{Title: "Sign in", Nav: "login", Form: form,
			Errors: []fieldProblem{{"email", "The email address or the password is not right"}}})
	case errors.Is(err, models.ErrNotVerified):
		return p.render(c, http.StatusForbidden, "login", page{Title: "Sign in", Nav: "login", Form: form,
			Errors: []fieldProblem{{"email", "Verify your address first: open the link in the sandbox outbox (sign up again for a new one)"}}})
	case err != nil:
		return p.fail(c, err)
	}
	p.logins.email.reset(norm)
	if old := sessionOf(c); old != "" {
		_ = p.store.EndPortalSession(ctx, old)
	}
	token, err := p.store.CreatePortalSession(ctx, dev.ID, now)
	if err != nil {
		return p.fail(c, err)
	}
	setCookie(c, sessionCookie, token, int(db.PortalSessionTTL/time.Second))
	return c.Redirect(http.StatusSeeOther, Prefix+"/apps")
}

func (p *Portal) logout(c echo.Context) error {
	if s := sessionOf(c); s != "" {
		if err := p.store.EndPortalSession(c.Request().Context(), s); err != nil {
			return p.fail(c, err)
		}
	}
	setCookie(c, sessionCookie, "", -1)
	return c.Redirect(http.StatusSeeOther, Prefix+"/login")
}
