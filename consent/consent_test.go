package consent

import (
	"errors"
	"testing"

	"github.com/custreg/custreg/models"
)

var (
	ib       = models.Disclosure{ID: "IBID", Name: IB, Enabled: true, Required: true}
	esign    = models.Disclosure{ID: "ESIGNID", Name: ESIGN, Enabled: true}
	ols      = models.Disclosure{ID: "OLSID", Name: OLS, Enabled: true}
	custom   = models.Disclosure{ID: "CUSTOMID", Name: "PRIVACY", Enabled: true}
	accounts = []models.Account{{PublicID: "acct-1"}, {PublicID: "acct-2"}}
)

func code(err error) string {
	var v *Violation
	if errors.As(err, &v) {
		return v.Code + " " + v.Field
	}
	if err != nil {
		return "unexpected " + err.Error()
	}
	return ""
}

func TestTargetAndFound(t *testing.T) {
	disabled := custom
	disabled.Enabled = false
	cases := []struct {
		name string
		w    Write
		def  *models.Disclosure // what the lookup found
		want string
	}{
		{"custom by id", Write{DefinitionID: "CUSTOMID"}, &custom, ""},
		{"custom by id with its name", Write{DefinitionID: "CUSTOMID", DefinitionName: "PRIVACY"}, &custom, ""},
		{"custom by id with another name", Write{DefinitionID: "CUSTOMID", DefinitionName: "OTHER"}, &custom, "DSC_12004 /institutionDisclosureName"},
		{"unknown id", Write{DefinitionID: "NOPE"}, nil, "DSC_12004 /institutionDisclosureId"},
		{"well-known by name", Write{DefinitionName: IB}, &ib, ""},
		{"well-known the FI lacks", Write{DefinitionName: ESIGN}, nil, "DSC_12015 /institutionDisclosureName"},
		{"custom by name only", Write{DefinitionName: "PRIVACY"}, nil, "DSC_12004 /institutionDisclosureId"},
		{"neither", Write{}, nil, "DSC_12004 /institutionDisclosureId"},
		{"disabled", Write{DefinitionID: "CUSTOMID"}, &disabled, "DSC_12015 /institutionDisclosureName"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			how, _, err := Target(tc.w)
			if err == nil {
				err = Found(tc.w, how, tc.def)
			}
			if got := code(err); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	yes := true
	acct, other := "acct-2", "someone-elses"
	cases := []struct {
		name    string
		w       Write
		def     models.Disclosure
		want    string
		account string
	}{
		{"IB accepted", Write{Status: "ACCEPTED"}, ib, "", ""},
		{"IB enrolled", Write{Status: "ENROLLED"}, ib, "", ""},
		{"custom not accepted", Write{Status: "NOT_ACCEPTED"}, custom, "", ""},
		{"ESIGN enrolled", Write{Status: "ENROLLED"}, esign, "DSC_12004 /institutionUserDisclosureStatus", ""},
		{"status missing", Write{}, ib, "DSC_12004 /institutionUserDisclosureStatus", ""},
		{"status unknown", Write{Status: "MAYBE"}, ib, "DSC_12004 /institutionUserDisclosureStatus", ""},
		{"OLS without paperWaiver", Write{Status: "ACCEPTED"}, ols, "DSC_12017 /paperWaiver", ""},
		{"OLS enrolled", Write{Status: "ENROLLED", PaperWaiver: &yes}, ols, "DSC_12004 /institutionUserDisclosureStatus", ""},
		{"OLS for the user", Write{Status: "ACCEPTED", PaperWaiver: &yes}, ols, "", ""},
		{"OLS for an account of the user", Write{Status: "ACCEPTED", PaperWaiver: &yes, AccountID: &acct}, ols, "", "acct-2"},
		{"OLS for another's account", Write{Status: "ACCEPTED", PaperWaiver: &yes, AccountID: &other}, ols, "DSC_12016 /accountId", ""},
		{"OLS per account type without an account", Write{Status: "ACCEPTED", PaperWaiver: &yes, AccountTypeSent: true}, ols, "DSC_12016 /accountId", ""},
		{"OLS update", Write{Status: "ACCEPTED", PaperWaiver: &yes, Update: true}, ols, "DSC_12015 /institutionDisclosureName", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Check(tc.w, tc.def, accounts)
			if got := code(err); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if err == nil && (d.Status != tc.w.Status || d.AccountID != tc.account) {
				t.Errorf("decision %+v", d)
			}
		})
	}
}

func TestCheckDelete(t *testing.T) {
	for _, tc := range []struct{ name, dname, account, want string }{
		{"OLS of an account of the user", OLS, "acct-1", ""},
		{"no name", "", "acct-1", "DSC_12004 /institutionDisclosureName"},
		{"not OLS", ESIGN, "acct-1", "DSC_12015 /institutionDisclosureName"},
		{"no account", OLS, "", "DSC_12016 /accountId"},
		{"another's account", OLS, "x", "DSC_12016 /accountId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckDelete(tc.dname, tc.account, accounts)
			if got := code(err); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
