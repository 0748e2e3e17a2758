package access

import (
	"strings"
	"testing"
)

func TestKindOfGrant(t *testing.T) {
	for grant, want := range map[string]Kind{"client_credentials": Client, "password": User, "refresh_token": Refresh, "authorization_code": Partner} {
		if k, ok := KindOfGrant(grant); !ok || k != want {
			t.Errorf("%s: %v %v", grant, k, ok)
		}
	}
	if _, ok := KindOfGrant("implicit"); ok {
		t.Error("an unknown grant has a kind")
	}
	if Client.UserBound() || !User.UserBound() || !Refresh.UserBound() || !Partner.UserBound() {
		t.Error("UserBound")
	}
}

func TestPolicies(t *testing.T) {
	for _, p := range All() {
		bearer := p.Credential == V1Token || p.Credential == V2Token
		if bearer != (len(p.Kinds) > 0) {
			t.Errorf("%s: bearer operations list token kinds, others none", p.Operation)
		}
		if p.OwnUserOnly && !bearer {
			t.Errorf("%s: own-user rule without a bearer token", p.Operation)
		}
		if p.Credential == V1Token && (p.Allows(Refresh) || p.Allows(Partner)) {
			t.Errorf("%s: the V1 token service issues no refresh or partner access tokens", p.Operation)
		}
	}
	if _, ok := For("nonexistentOperation"); ok {
		t.Error("an unknown operation has a policy")
	}
	p, _ := For("createInstitutionDisclosure")
	if p.Allows(User) || p.MissingScope([]string{ScopeDisclosuresRead}) != ScopeDisclosuresWrite || p.MissingScope([]string{ScopeDisclosuresWrite}) != "" {
		t.Errorf("createInstitutionDisclosure: %+v", p)
	}
	if md := Markdown(); strings.Count(md, "\n") != len(All())+2 {
		t.Errorf("markdown rows: %q", md)
	}
}
