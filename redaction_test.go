package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/models"
)

// TestLogsNeverCarrySecrets runs a whole journey against the service as main wires it (run, at
// debug level, its JSON log captured): V1 and V2 tokens of every grant, a revocation, Register
// v4 in JSON and XML, a Customer v2 registration, profile lookups, accounts, disclosures, a
// password reset through the sandbox outbox, and failures of each kind (wrong secrets and
// passwords, refused registrations, credentials in the query, a wrong passcode). No submitted
// password, client secret, SSN, birth date, maiden name, host PIN, passcode or token, and none
// of the sandbox's own, appears in the log. On SQLite and, when configured, PostgreSQL.
func TestLogsNeverCarrySecrets(t *testing.T) {
	for _, target := range processDatabases() {
		t.Run(target.Name, func(t *testing.T) {
			database := target.DSN(t)
			addr := freeAddr(t)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			logs := &syncWriter{}
			go func() {
				done <- run(ctx, []string{"--sandbox", "--db", database, "--addr", addr, "--log-level", "debug", "--auth-failure-delay", "0s"},
					env(map[string]string{"CUSTREG_PII_KEY": testPIIKey, "CUSTREG_OIDC_SIGNING_KEY": testOIDCKey(t)}), io.Discard, logs)
			}()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("run: %v", err)
				}
			}()
			waitFor(t, "http://"+addr+"/readyz")
			in := &instance{t: t, name: "custreg", base: "http://" + addr}
			j := &journey{t: t, in: in}
			j.run(database)
			j.check(logs.String())
		})
	}
}

// journey sends the requests and remembers every secret they carried or received.
type journey struct {
	t       *testing.T
	in      *instance
	secrets []string // exact strings
	digits  []string // all-digit secrets (SSNs, passcodes): matched only as a whole number
}

func (j *journey) keep(values ...string) {
	for _, v := range values {
		switch {
		case v == "":
		case strings.Trim(v, "0123456789") == "":
			j.digits = append(j.digits, v)
		default:
			j.secrets = append(j.secrets, v)
		}
	}
}

func (j *journey) want(what string, r *reply, status int) *reply {
	j.t.Helper()
	if r.status != status {
		j.t.Errorf("%s: %d, want %d: %s", what, r.status, status, r.body)
	}
	return r
}

func form() map[string]string {
	return map[string]string{"Authorization": basicAuth(sandboxApp, sandboxSecret), "transactionId": uuid.NewString(),
		"institutionId": fiCreditUnion, "Content-Type": "application/x-www-form-urlencoded"}
}

func (j *journey) run(database string) {
	t, in := j.t, j.in
	j.keep(sandboxSecret, "sandbox-limited-secret", sandboxPassword, "Wrong-Secret-1", "Wrong-Pass-22")
	sandbox, err := db.ParseProvisionFile(db.SandboxYAML)
	if err != nil {
		t.Fatal(err)
	}
	for _, fi := range sandbox.Institutions {
		for _, m := range fi.Members {
			for _, u := range m.Users {
				j.keep(u.Password, u.SSN, u.BirthDate, u.MotherMaidenName)
			}
		}
	}

	// Tokens of every grant, their use, a refresh and a revocation.
	v1 := in.v1Token()
	r := in.must(http.MethodPost, "/v1/oauth/token", map[string]string{"Authorization": basicAuth(sandboxApp, sandboxSecret), "di_tid": uuid.NewString(),
		"di_fiid": fiCreditUnion, "Content-Type": "application/x-www-form-urlencoded"}, "grant_type=password&username="+sandboxUser+"&password="+url.QueryEscape(sandboxPassword))
	j.want("V1 password grant", r, http.StatusOK)
	for _, tag := range []string{"access_token", "refresh_token"} {
		_, rest, _ := strings.Cut(string(r.body), "<"+tag+">")
		tok, _, _ := strings.Cut(rest, "</"+tag+">")
		j.keep(tok)
	}
	client, _, _ := in.v2Token("grant_type=client_credentials")
	user, refresh, _ := in.v2Token("grant_type=password&username=" + sandboxUser + "&password=" + url.QueryEscape(sandboxPassword))
	refreshed, _, _ := in.v2Token("grant_type=refresh_token&refresh_token=" + refresh)
	j.keep(v1, client, user, refresh, refreshed)
	if client == "" || user == "" || refreshed == "" {
		t.Fatal("V2 tokens")
	}
	v2 := func(token string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + token, "transactionId": uuid.NewString()}
	}
	j.want("accounts", in.must(http.MethodGet, "/v1/accounts", v2(user), ""), http.StatusOK)
	j.want("account", in.must(http.MethodGet, "/v1/accounts/Qw3eR5tY7uI9oP1aS3dF5gH7jK9lZ1xC3vB5nM7qWe9", v2(refreshed), ""), http.StatusOK)
	j.want("revoke", in.must(http.MethodPost, "/oauth2/v1/revoke", map[string]string{"Authorization": basicAuth(sandboxApp, sandboxSecret),
		"transactionId": uuid.NewString(), "Content-Type": "application/x-www-form-urlencoded"}, "token="+refreshed), http.StatusNoContent)
	j.want("revoked token", in.must(http.MethodGet, "/v1/accounts", v2(refreshed), ""), http.StatusUnauthorized)

	// Failures of authentication: a wrong secret, a wrong password, an unknown user,
	// credentials in the query, a bad bearer token.
	h := form()
	h["Authorization"] = basicAuth(sandboxApp, "Wrong-Secret-1")
	j.want("wrong client secret", in.must(http.MethodPost, "/oauth2/v1/token", h, "grant_type=client_credentials"), http.StatusUnauthorized)
	j.want("wrong password", in.must(http.MethodPost, "/oauth2/v1/token", form(), "grant_type=password&username="+sandboxUser+"&password=Wrong-Pass-22"), http.StatusUnauthorized)
	j.want("unknown user", in.must(http.MethodPost, "/oauth2/v1/token", form(), "grant_type=password&username=nobody_here&password=Wrong-Pass-22"), http.StatusUnauthorized)
	j.want("password in the query", in.must(http.MethodPost, "/oauth2/v1/token?password="+url.QueryEscape(sandboxPassword), form(), "grant_type=client_credentials"), http.StatusBadRequest)
	j.want("bad bearer", in.must(http.MethodGet, "/v1/accounts", v2(strings.Repeat("x", 43)), ""), http.StatusUnauthorized)

	// Registrations: Register v4 in JSON and XML, refused ones, Customer v2.
	for i, reg := range []registration{newRegistration("redact", "", "", ""), newRegistration("redact", "", "", "")} {
		j.keep(reg.ssn, regPassword, regHostPIN, regMaiden, regBirthDate)
		headers := map[string]string{"Authorization": "Bearer " + v1, "di_tid": uuid.NewString(), "Content-Type": "application/json", "Accept": "application/json"}
		body := reg.body
		if i == 1 {
			headers["Content-Type"], headers["Accept"], body = "application/xml", "application/xml", registrationXML(t, reg.body)
		}
		r := j.want("register", in.must(http.MethodPost, "/registration/v4/fis/"+fiCreditUnion+"/fiCustomers", headers, body), http.StatusOK)
		if i == 0 {
			var out struct {
				FICustomer struct{ ID struct{ Value string } }
			}
			_ = json.Unmarshal(r.body, &out)
			for _, accept := range []string{"application/json", "application/xml"} {
				j.want("get customer", in.must(http.MethodGet, "/bankingservices/v2/fis/"+fiCreditUnion+"/fiCustomers/"+out.FICustomer.ID.Value,
					map[string]string{"Authorization": "Bearer " + v1, "di_tid": uuid.NewString(), "Accept": accept}, ""), http.StatusOK)
			}
		}
	}
	for _, bad := range []struct{ what, from, to string }{
		{"invalid SSN", `"ssn":"`, `"ssn":"000`},
		{"password breaking the policy", `"password":"Blue!Sky42"`, `"password":"Has Space 1!"`},
		{"NUL in the maiden name", `"motherMaidenName":"Quellenberg"`, `"motherMaidenName":"Quellen\u0000berg"`},
		{"taken login", `"loginId":"`, `"loginId":"sandboxuser1","ignored":"`},
	} {
		reg := newRegistration("redbad", "", "", "")
		j.keep(reg.ssn)
		r := in.must(http.MethodPost, "/registration/v4/fis/"+fiCreditUnion+"/fiCustomers", map[string]string{"Authorization": "Bearer " + v1,
			"di_tid": uuid.NewString(), "Content-Type": "application/json", "Accept": "application/json"}, strings.Replace(reg.body, bad.from, bad.to, 1))
		if r.status < 400 || r.status >= 500 {
			t.Errorf("%s: %d %s", bad.what, r.status, r.body)
		}
	}
	j.keep("Has Space 1!")
	admin := client
	v2reg := map[string]any{"fiId": fiCreditUnion, "memberNumber": "555000111", "firstName": "Robin", "lastName": "Lee",
		"emailAddress": "robin.lee@example.com", "birthDate": "1991-07-14", "ssn": "523441234", "motherMaidenName": "Ravensworth",
		"loginId": "robin_lee_v2", "password": "V2-Secret!Pass", "acceptedDisclosure": true, "userRole": "PRIMARY", "hostPassword": "97531",
		"postalAddress": map[string]any{"address1": "1 Elm St", "address2": "", "city": "Springfield", "state": "IL", "postalCode": "62701", "country": "US"},
		"contactInfo":   map[string]any{"contactInfo": "2175550199", "telephoneCountryCode": "1"}}
	j.keep("1991-07-14", "523441234", "Ravensworth", "V2-Secret!Pass", "97531")
	b, _ := json.Marshal(v2reg)
	ux := func() map[string]string {
		return map[string]string{"Authorization": "Bearer " + admin, "correlationId": uuid.NewString(), "Content-Type": "application/json"}
	}
	j.want("Customer v2 registration", in.must(http.MethodPost, "/v1/customers/register", ux(), string(b)), http.StatusCreated)

	// Disclosures.
	j.want("definitions", in.must(http.MethodGet, "/v1/institution-disclosures", v2(admin), ""), http.StatusOK)
	j.want("user disclosures", in.must(http.MethodGet, "/v1/institution-user-disclosures", v2(user), ""), http.StatusOK)
	h = v2(user)
	h["Content-Type"] = "application/json"
	j.want("accept OLS", in.must(http.MethodPost, "/v1/institution-user-disclosures?accountType=CHECKING", h,
		`{"institutionDisclosureName":"OLS","institutionUserDisclosureStatus":"ACCEPTED","accountId":"Qw3eR5tY7uI9oP1aS3dF5gH7jK9lZ1xC3vB5nM7qWe9","paperWaiver":true}`), http.StatusNoContent)

	// Password reset through the sandbox outbox: a wrong passcode, then the right one.
	sms := smsContactMethod(t, database)
	j.want("reset-password", in.must(http.MethodPut, "/v1/customers/"+sandboxUserGUID+":reset-password", ux(),
		`{"contactMethodId":"`+sms+`","protocol":"SMS"}`), http.StatusNoContent)
	r = j.want("outbox", in.must(http.MethodGet, "/sandbox/outbox?to=4155550142", nil, ""), http.StatusOK)
	var outbox struct{ Messages []struct{ Passcode string } }
	if err := json.Unmarshal(r.body, &outbox); err != nil || len(outbox.Messages) == 0 || outbox.Messages[0].Passcode == "" {
		t.Fatalf("outbox: %s", r.body)
	}
	code := outbox.Messages[0].Passcode
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	const newPassword = "Brand-New!2031"
	j.keep(code, newPassword)
	complete := "/v1/customers/" + sandboxUserGUID + ":complete-password-reset"
	j.want("wrong passcode", in.must(http.MethodPut, complete, ux(), `{"passcode":"`+wrong+`","newPassword":"`+newPassword+`"}`), http.StatusBadRequest)
	j.want("complete-password-reset", in.must(http.MethodPut, complete, ux(), `{"passcode":"`+code+`","newPassword":"`+newPassword+`"}`), http.StatusNoContent)
	if tok, _, r := in.v2Token("grant_type=password&username=" + sandboxUser + "&password=" + url.QueryEscape(newPassword)); tok == "" {
		t.Errorf("the new password: %d %s", r.status, r.body)
	} else {
		j.keep(tok)
	}
}

// check asserts that the log holds none of the journey's secrets.
func (j *journey) check(logs string) {
	j.t.Helper()
	if !strings.Contains(logs, `"level":"DEBUG"`) && !strings.Contains(logs, `"msg":"request"`) {
		j.t.Fatalf("the log captured nothing: %q", logs)
	}
	for _, s := range j.secrets {
		if strings.Contains(logs, s) {
			j.t.Errorf("the log carries the secret %q", s)
		}
	}
	for _, d := range j.digits {
		// A whole number only: not inside a longer one, a decimal or a hex id.
		if regexp.MustCompile(`(^|[^0-9a-fA-F.])` + d + `($|[^0-9a-fA-F.])`).MatchString(logs) {
			j.t.Errorf("the log carries the number %q", d)
		}
	}
	j.t.Logf("%d log lines checked for %d secrets", strings.Count(logs, "\n"), len(j.secrets)+len(j.digits))
}

// smsContactMethod reads the id of the sandbox user's SMS contact method from the database.
func smsContactMethod(t *testing.T, database string) string {
	t.Helper()
	conn, err := db.Open(context.Background(), database, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close(conn) }()
	var d models.Destination
	if err := conn.Where("customer_id = ? AND protocol = ?", sandboxUserGUID, "SMS").Take(&d).Error; err != nil {
		t.Fatal(err)
	}
	return strconv.FormatUint(uint64(d.ID), 10)
}

// registrationXML renders a Register v4 JSON document as its XML body.
func registrationXML(t *testing.T, doc string) string {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var write func(name string, v any)
	write = func(name string, v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				write(name, e)
			}
			return
		case map[string]any:
			b.WriteString("<" + name + ">")
			for k, e := range x {
				write(k, e)
			}
		default:
			b.WriteString("<" + name + ">" + strings.NewReplacer("&", "&amp;", "<", "&lt;").Replace(toString(x)))
		}
		b.WriteString("</" + name + ">")
	}
	write("FICustomer", v["FICustomer"])
	return b.String()
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}
