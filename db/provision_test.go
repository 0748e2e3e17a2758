package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

type counts map[string]int64

func countRows(t *testing.T, store *db.Store) counts {
	t.Helper()
	c := counts{}
	for name, model := range map[string]any{
		"institutions": &models.Institution{}, "client_apps": &models.ClientApp{}, "client_app_institutions": &models.ClientAppInstitution{},
		"members": &models.Member{}, "accounts": &models.Account{}, "disclosures": &models.Disclosure{}, "customers": &models.Customer{},
	} {
		var n int64
		if err := store.Conn().Model(model).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", name, err)
		}
		c[name] = n
	}
	return c
}

func TestSandboxProvisioningIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		first := countRows(t, store)
		want := counts{"institutions": 2, "client_apps": 3, "client_app_institutions": 4, "members": 4,
			"accounts": 5, "disclosures": 4, "customers": 2}
		for k, v := range want {
			if first[k] != v {
				t.Errorf("%s = %d after first load, want %d", k, first[k], v)
			}
		}
		var before models.Customer
		if err := store.Conn().Where("login_id_norm = ?", "sandboxuser1").Take(&before).Error; err != nil {
			t.Fatal(err)
		}
		dbtest.Sandbox(t, store)
		if second := countRows(t, store); len(second) != len(first) {
			t.Fatalf("counts changed")
		} else {
			for k := range first {
				if first[k] != second[k] {
					t.Errorf("%s: %d after second load, %d after first", k, second[k], first[k])
				}
			}
		}
		var after models.Customer
		if err := store.Conn().Where("login_id_norm = ?", "sandboxuser1").Take(&after).Error; err != nil {
			t.Fatal(err)
		}
		if after.PasswordHash != before.PasswordHash || after.ID != before.ID {
			t.Errorf("re-provisioning rewrote an unchanged user")
		}
		var disc models.Disclosure
		if err := store.Conn().Where("institution_id = ? AND name = ?", "01111", "IB").Take(&disc).Error; err != nil {
			t.Fatal(err)
		}
		if disc.Version != 1 || !disc.Required {
			t.Errorf("IB disclosure: version %d required %v, want 1 true", disc.Version, disc.Required)
		}
	})
}

func TestProvisionedSecretsAndPIIAreNotInClear(t *testing.T) {
	store := dbtest.SQLite(t)
	dbtest.Sandbox(t, store)
	var app models.ClientApp
	if err := store.Conn().Where("client_id = ?", "sandbox-app").Take(&app).Error; err != nil {
		t.Fatal(err)
	}
	if ok, current := dbtest.Keys(store).VerifyClientSecret("sandbox-secret", app.SecretHash); strings.Contains(app.SecretHash, "sandbox-secret") ||
		!secure.IsKeyedSecretHash(app.SecretHash) || !ok || !current {
		t.Errorf("client secret must be stored as a keyed digest: %q", app.SecretHash)
	}
	// A reload keeps the digest (nothing changes); a hash of an earlier version is replaced.
	before := app.SecretHash
	dbtest.Sandbox(t, store)
	store.Conn().Where("client_id = ?", "sandbox-app").Take(&app)
	if app.SecretHash != before {
		t.Error("reloading the sandbox rewrote an unchanged secret digest")
	}
	legacy, err := secure.LegacyClientSecretHash("sandbox-secret")
	if err != nil {
		t.Fatal(err)
	}
	store.Conn().Model(&app).Update("secret_hash", legacy)
	dbtest.Sandbox(t, store)
	store.Conn().Where("client_id = ?", "sandbox-app").Take(&app)
	if !secure.IsKeyedSecretHash(app.SecretHash) {
		t.Errorf("reloading kept a legacy hash: %q", app.SecretHash)
	}
	var c models.Customer
	if err := store.Conn().Where("login_id_norm = ?", "sandboxuser1").Take(&c).Error; err != nil {
		t.Fatal(err)
	}
	ok, _, err := dbtest.Passwords(store).Verify(context.Background(), "Sandbox2024!", c.PasswordHash)
	if err != nil || !ok {
		t.Fatalf("sandbox user password does not verify: %v", err)
	}
	for _, v := range []string{c.SSNEnc, c.BirthDateEnc, c.MotherMaidenNameEnc} {
		if v == "" || strings.Contains(v, "123456789") || strings.Contains(v, "1985-04-12") || strings.Contains(v, "Smith") {
			t.Errorf("PII column not encrypted: %q", v)
		}
	}
	ssn, err := dbtest.Keys(store).DecryptString(c.SSNEnc, db.AAD(c.InstitutionID, c.ID, "ssn"))
	if err != nil || ssn != "123456789" {
		t.Errorf("SSN does not decrypt back: %v", err)
	}
	var a models.Account
	if err := store.Conn().Where("public_id = ?", "FJLqiQAy1lvswlZXcu9rA0mD8ohakVblGGbi-f-r29A").Take(&a).Error; err != nil {
		t.Fatal(err)
	}
	if a.NumberLast4 != "3210" || strings.Contains(a.NumberEnc, "9876543210") {
		t.Errorf("account number: last4 %q, encrypted %q", a.NumberLast4, a.NumberEnc)
	}
}

func TestParseProvisionFileReportsEveryFaultWithLine(t *testing.T) {
	cases := []struct {
		name  string
		file  string
		wants []string // substrings of the error
	}{
		{"unknown field", "institutions:\n  - id: \"01111\"\n    name: X\n    colour: blue\n", []string{"line 4", "colour"}},
		{"wrong type", "institutions:\n  - id: \"01111\"\n    name: [a, b]\n", []string{"line 3"}},
		{"not yaml", "institutions: [\n", []string{"yaml"}},
		{"bad fi id and policy", "institutions:\n  - id: 16\n    name: Bank\n    policy:\n      usernameLength: {min: 3, max: 30}\n",
			[]string{"line 2: institutions[0].id", "line 5: institutions[0].policy.usernameLength"}},
		{"bad account", "institutions:\n  - id: \"00016\"\n    name: Bank\n    members:\n      - memberNumber: \"A1\"\n        name: M\n        accounts:\n          - number: \"12\"\n            category: SHOES\n            type: CHECKING\n",
			[]string{"institutions[0].members[0].accounts[0].number", "line 9: institutions[0].members[0].accounts[0].category"}},
		{"lockout cool-down", "institutions:\n  - id: \"00016\"\n    name: Bank\n    policy:\n      lockoutCooldown: 10s\n",
			[]string{"line 5: institutions[0].policy.lockoutCooldown"}},
		{"client app", "clientApps:\n  - clientId: app\n    secret: short\n    institutions: [\"1\"]\n    grants: [implicit]\n    scopes: [everything]\n",
			[]string{"clientApps[0].secret", "clientApps[0].institutions[0]", "line 5: clientApps[0].grants[0]", "clientApps[0].scopes[0]"}},
		{"app limits", "clientApps:\n  - clientId: app\n    secret: app-secret\n    institutions: [\"01111\"]\n    grants: [client_credentials]\n" +
			"    limits:\n      quota: 100 per hour\n      spikeArrest: 0/s\n",
			[]string{"line 7: clientApps[0].limits.quota: must be a rate", "line 8: clientApps[0].limits.spikeArrest: must be a rate"}},
		{"app limits unknown field", "clientApps:\n  - clientId: app\n    secret: app-secret\n    institutions: [\"01111\"]\n    grants: [client_credentials]\n" +
			"    limits:\n      burst: 10\n", []string{"line 7", "burst"}},
		// Found by FuzzParseProvisionFile: such text reached the database (NUL failing there on
		// PostgreSQL) and the API's answers.
		{"unsafe text", "institutions:\n  - id: \"00016\"\n    name: \"Bank\\0\"\n    members:\n      - memberNumber: \"A1\"\n        name: \"M\\u202e\"\n" +
			"clientApps:\n  - {clientId: \"a\\tb\", secret: \"abcdefgh\\u200b\", institutions: [\"00016\"], grants: [client_credentials]}\n",
			[]string{"line 3: institutions[0].name: must be text", "line 6: institutions[0].members[0].name", "line 8: clientApps[0].clientId",
				"line 8: clientApps[0].secret"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.ParseProvisionFile([]byte(tc.file))
			var pe *db.ProvisionError
			if !errors.As(err, &pe) {
				t.Fatalf("want a ProvisionError, got %v", err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestProvisionAppliesNothingOnFailure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		// Valid on its own, but the app names an institution that exists nowhere: the
		// institution created earlier in the same file must not survive.
		pf, err := db.ParseProvisionFile([]byte(`
institutions:
  - id: "04444"
    name: Rolled Back Bank
    members:
      - memberNumber: "M1"
        name: Someone
clientApps:
  - clientId: orphan
    secret: orphan-secret
    institutions: ["09999"]
    grants: [client_credentials]
`))
		if err != nil {
			t.Fatal(err)
		}
		err = store.Provision(context.Background(), pf)
		if err == nil || !strings.Contains(err.Error(), "09999") {
			t.Fatalf("want an error naming the missing institution, got %v", err)
		}
		for k, v := range countRows(t, store) {
			if v != 0 {
				t.Errorf("%s has %d rows after a failed provisioning", k, v)
			}
		}
	})
}

func TestDisclosureVersionGrowsOnlyWithContent(t *testing.T) {
	store := dbtest.SQLite(t)
	dbtest.Sandbox(t, store)
	spec := db.DisclosureSpec{Name: "IB", Data: "https://sandbox.custreg.example/disclosures/01111/online-banking-agreement-v1.html", Required: true}
	changed, err := db.UpsertDisclosure(store.Conn(), "01111", &spec)
	if err != nil || changed {
		t.Fatalf("same content: changed=%v err=%v", changed, err)
	}
	spec.Data = "https://sandbox.custreg.example/disclosures/01111/online-banking-agreement-v2.html"
	if changed, err = db.UpsertDisclosure(store.Conn(), "01111", &spec); err != nil || !changed {
		t.Fatalf("new content: changed=%v err=%v", changed, err)
	}
	var d models.Disclosure
	if err := store.Conn().Where("institution_id = ? AND name = ?", "01111", "IB").Take(&d).Error; err != nil {
		t.Fatal(err)
	}
	if d.Version != 2 || d.ContentHash != db.DisclosureContentHash("IB", spec.Data, "URL") {
		t.Errorf("version %d hash %s", d.Version, d.ContentHash)
	}
}

func TestDisclosureVersionBumpFlagsUsersAndKeepsEvidence(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		user, err := store.CustomerByID(ctx, "8fe733f4e27246908f92e8f7c0b96847")
		if err != nil {
			t.Fatal(err)
		}
		if user.NeedsToAcceptDisclosure || !user.AcceptedDisclosure || !user.Registered {
			t.Fatalf("provisioned user flags %+v", user)
		}
		ib, err := store.DisclosureByName(ctx, "01111", "IB")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.UpdateDisclosure(ctx, "01111", ib.ID, &db.DisclosureSpec{Name: "IB", Data: "https://example.com/ib-v2.html", Required: true}); err != nil {
			t.Fatal(err)
		}
		user, _ = store.CustomerByID(ctx, user.ID)
		if !user.NeedsToAcceptDisclosure || user.AcceptedDisclosure || !user.Registered {
			t.Fatalf("after the IB bump: %+v", user)
		}
		ib, _ = store.DisclosureByName(ctx, "01111", "IB")
		err = store.RecordUserDecision(ctx, &db.UserDecision{Customer: user, Disclosure: ib, Status: "ACCEPTED",
			Channel: models.ChannelDisclosuresAPI, At: time.Now()}, false)
		if err != nil {
			t.Fatal(err)
		}
		user, _ = store.CustomerByID(ctx, user.ID)
		if user.NeedsToAcceptDisclosure || !user.AcceptedDisclosure {
			t.Fatalf("after accepting v2: %+v", user)
		}
		history, err := store.DisclosureHistory(ctx, user.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ibVersions []int
		for _, e := range history {
			if e.DisclosureName == "IB" {
				ibVersions = append(ibVersions, e.Version)
			}
		}
		if len(ibVersions) != 2 || ibVersions[0] != 1 || ibVersions[1] != 2 {
			t.Errorf("IB evidence versions %v, want [1 2]", ibVersions)
		}
	})
}

// TestSeedingTheSandboxKeepsWhatTheAPIChanged: loading the sandbox file again (every sandbox
// start) adds what is missing and leaves existing records as the API left them, so an edited
// definition keeps its content and version and its users are not flagged again.
func TestSeedingTheSandboxKeepsWhatTheAPIChanged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		ctx := context.Background()
		pf, err := db.ParseProvisionFile(db.SandboxYAML)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Seed(ctx, pf); err != nil {
			t.Fatal(err)
		}
		ib, err := store.DisclosureByName(ctx, "01111", "IB")
		if err != nil {
			t.Fatal(err)
		}
		edited, err := store.UpdateDisclosure(ctx, "01111", ib.ID, &db.DisclosureSpec{Name: "IB", Data: "https://example.com/ib-edited.html", Required: true})
		if err != nil || edited.Version != 2 {
			t.Fatalf("edit: %v %+v", err, edited)
		}
		user, _ := store.CustomerByID(ctx, "8fe733f4e27246908f92e8f7c0b96847")
		err = store.RecordUserDecision(ctx, &db.UserDecision{Customer: user, Disclosure: edited, Status: "ACCEPTED",
			Channel: models.ChannelDisclosuresAPI, At: time.Now()}, false)
		if err != nil {
			t.Fatal(err)
		}
		// Something missing (a member without accounts) is seeded again; an existing app keeps
		// the links the database has, even one fewer than the file names.
		if err := store.Conn().Where("member_number = ?", "555000111").Delete(&models.Member{}).Error; err != nil {
			t.Fatal(err)
		}
		if err := store.Conn().Where("client_app_id IN (SELECT id FROM client_apps WHERE client_id = ?)", "sandbox-limited").
			Delete(&models.ClientAppInstitution{}).Error; err != nil {
			t.Fatal(err)
		}
		before := countRows(t, store)
		if err := store.Seed(ctx, pf); err != nil {
			t.Fatal(err)
		}
		after, err := store.DisclosureByName(ctx, "01111", "IB")
		if err != nil {
			t.Fatal(err)
		}
		if after.Data != edited.Data || after.Version != 2 || after.ContentHash != edited.ContentHash {
			t.Errorf("seeding reverted the edit: data %q version %d", after.Data, after.Version)
		}
		user, _ = store.CustomerByID(ctx, user.ID)
		if user.NeedsToAcceptDisclosure || !user.AcceptedDisclosure {
			t.Errorf("seeding flagged a user who accepted the current version: %+v", user)
		}
		got := countRows(t, store)
		if got["members"] != before["members"]+1 || got["client_app_institutions"] != before["client_app_institutions"] {
			t.Errorf("members %d → %d (want one seeded), client app links %d → %d (want left alone)",
				before["members"], got["members"], before["client_app_institutions"], got["client_app_institutions"])
		}
	})
}

// TestProvisionReportsAccountsHeldByAnotherMemberWithTheirLine: a fault only the database can
// see — the file gives an account to a member while the database holds it under another — is
// reported like the file's own faults, with line and field and no SQL, and nothing is applied.
func TestProvisionReportsAccountsHeldByAnotherMemberWithTheirLine(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		file := "institutions:\n  - id: \"01111\"\n    name: Sandbox Federal Credit Union\n    members:\n      - memberNumber: \"555000111\"\n        name: Robin Lee\n" +
			"        accounts:\n          - number: \"9876543210\"\n            category: DEPOSIT\n            type: CHECKING\n"
		pf, err := db.ParseProvisionFile([]byte(file))
		if err != nil {
			t.Fatal(err)
		}
		err = store.Provision(context.Background(), pf)
		var pe *db.ProvisionError
		if !errors.As(err, &pe) || len(pe.Faults) != 1 || pe.Faults[0].Line != 8 ||
			pe.Faults[0].Field != "institutions[0].members[0].accounts[0].number" {
			t.Fatalf("want one fault at line 8 on the account number, got %v", err)
		}
		if msg := err.Error(); strings.Contains(msg, "SELECT") || strings.Contains(msg, ".go:") || strings.Contains(msg, "9876543210") {
			t.Errorf("the fault carries SQL, a source path or the full number: %s", msg)
		}
		var a models.Account
		if err := store.Conn().Where("public_id = ?", "FJLqiQAy1lvswlZXcu9rA0mD8ohakVblGGbi-f-r29A").Preload("Member").Take(&a).Error; err != nil {
			t.Fatal(err)
		}
		if a.Member.MemberNumber != "468531842" {
			t.Errorf("the account moved to member %s", a.Member.MemberNumber)
		}
	})
}

// TestPartnerFieldsAreChecked: the partner sign-in fields of client apps are reported with line
// and field, in the file and against the database.
func TestPartnerFieldsAreChecked(t *testing.T) {
	file := `clientApps:
  - clientId: fi-app
    secret: fi-app-secret
    institutions: ["01111"]
    grants: [client_credentials]
    redirectUri: https://fi.example/cb
    codePartners: [fi-app, partner, partner, plain]
  - clientId: partner
    secret: partner-secret
    institutions: ["01111"]
    grants: [authorization_code]
  - clientId: plain
    secret: plain-secret
    institutions: ["01111"]
    grants: [client_credentials]
    authorizationFlow: {consent: true}
  - clientId: bad-uri
    secret: bad-uri-secret
    institutions: ["01111"]
    grants: [authorization_code]
    redirectUri: "ftp://x.example/#frag"
`
	_, err := db.ParseProvisionFile([]byte(file))
	var pe *db.ProvisionError
	if !errors.As(err, &pe) {
		t.Fatalf("want a ProvisionError, got %v", err)
	}
	want := map[string]int{
		"clientApps[0].redirectUri":       6,
		"clientApps[0].codePartners[0]":   7,
		"clientApps[0].codePartners[2]":   7,
		"clientApps[0].codePartners[3]":   7,
		"clientApps[1].redirectUri":       8,
		"clientApps[2].authorizationFlow": 16,
		"clientApps[3].redirectUri":       21,
	}
	got := map[string]int{}
	for _, f := range pe.Faults {
		got[f.Field] = f.Line
	}
	for field, line := range want {
		if l, ok := got[field]; !ok || l != line {
			t.Errorf("%s: line %d (found %v), want line %d; all: %v", field, l, ok, line, pe.Faults)
		}
	}
	if len(pe.Faults) != len(want) {
		t.Errorf("faults %v, want %d", pe.Faults, len(want))
	}

	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		pf, err := db.ParseProvisionFile([]byte(`clientApps:
  - clientId: fi-app
    secret: fi-app-secret
    institutions: ["01111"]
    grants: [client_credentials]
    codePartners: [sandbox-partner, sandbox-limited, nowhere]
`))
		if err != nil {
			t.Fatal(err)
		}
		err = store.Provision(context.Background(), pf)
		var pe *db.ProvisionError
		if !errors.As(err, &pe) || len(pe.Faults) != 2 || pe.Faults[0].Field != "clientApps[0].codePartners[1]" ||
			pe.Faults[1].Field != "clientApps[0].codePartners[2]" || pe.Faults[0].Line != 6 {
			t.Fatalf("stored partners: %v", err)
		}
	})
}

// TestProvisionedAppLimits: an app's quota and spike arrest are stored as written; omitted, they
// are empty (the server's defaults), and a reload without them returns the app to the defaults.
func TestProvisionedAppLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		file := func(limits string) *db.ProvisionFile {
			pf, err := db.ParseProvisionFile([]byte("clientApps:\n  - clientId: limited-app\n    secret: limited-app-secret\n" +
				"    institutions: [\"01111\"]\n    grants: [client_credentials]\n" + limits))
			if err != nil {
				t.Fatal(err)
			}
			return pf
		}
		app := func() *models.ClientApp {
			a, err := store.ClientApp(context.Background(), "limited-app")
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		if err := store.Provision(context.Background(), file("    limits: {quota: 20000/h, spikeArrest: none}\n")); err != nil {
			t.Fatal(err)
		}
		if a := app(); a.Quota != "20000/h" || a.SpikeArrest != "none" {
			t.Fatalf("stored limits %q %q", a.Quota, a.SpikeArrest)
		}
		if err := store.Provision(context.Background(), file("")); err != nil {
			t.Fatal(err)
		}
		if a := app(); a.Quota != "" || a.SpikeArrest != "" {
			t.Fatalf("after a reload without limits: %q %q, want the defaults (empty)", a.Quota, a.SpikeArrest)
		}
	})
}
