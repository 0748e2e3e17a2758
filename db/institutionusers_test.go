package db_test

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// The sandbox's user and sub-user (db/sandbox.yaml).
const (
	samGUID  = "8fe733f4e27246908f92e8f7c0b96847"
	samIUID  = "A9F87530DFC43E2F1ECF44F6FD8B8351"
	samAuth  = "5d0c8e2a7b9f4136a1e4c7d2b8f06a35"
	subGUID  = "2b7e9c4d1a3f4e5b8c6d0e1f2a3b4c5d"
	subIUID  = "3C5E7A9B1D2F4A6C8E0B2D4F6A8C0E1B"
	subAuth  = "7e1f3a5c9b2d4e6f8a0c1e3b5d7f9a2c"
	samHost  = "100200300"
	fi01111  = "01111"
	fi02222  = "02222"
	subLogin = "sandboxsub1"
)

func TestInstitutionUserByEveryName(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		for _, tc := range []struct{ idType, ref, want string }{
			{"", samIUID, samGUID},
			{db.ByInstitutionUserID, samIUID, samGUID},
			{db.ByInstitutionUserID, subIUID, subGUID},
			{db.ByHostUserID, samHost, samGUID}, // the member's PRIMARY user, never its sub-user
			{db.ByLoginID, "SandboxUser1", samGUID},
			{db.ByLoginID, subLogin, subGUID},
			{db.ByLegacyUserGUID, samGUID, samGUID},
			{db.ByCustomerID, subGUID, subGUID},
			{db.ByUserID, samAuth, samGUID},
			{db.ByUserID, subAuth, subGUID},
		} {
			c, err := store.InstitutionUserByRef(ctx, fi01111, tc.idType, tc.ref)
			if err != nil || c.ID != tc.want || c.Member.MemberNumber != samHost {
				t.Errorf("%s %s: %+v %v", tc.idType, tc.ref, c, err)
			}
		}
		// Another FI's user, an identifier of the wrong type, and nobody: not found.
		for _, tc := range []struct{ fi, idType, ref string }{
			{fi02222, db.ByInstitutionUserID, samIUID}, {fi02222, db.ByHostUserID, samHost}, {fi02222, db.ByLoginID, "sandboxuser1"},
			{fi01111, db.ByUserID, samIUID}, {fi01111, db.ByInstitutionUserID, samAuth}, {fi01111, db.ByHostUserID, "468531842"},
			{fi01111, db.ByLegacyUserGUID, strings.Repeat("0", 32)},
		} {
			if _, err := store.InstitutionUserByRef(ctx, tc.fi, tc.idType, tc.ref); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("%s %s %s: %v, want not found", tc.fi, tc.idType, tc.ref, err)
			}
		}
	})
}

func TestSubUsersAndTheirParent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		sam, err := store.InstitutionUserByRef(ctx, fi01111, db.ByLegacyUserGUID, samGUID)
		if err != nil {
			t.Fatal(err)
		}
		rel, err := store.RelativesOf(ctx, sam)
		if err != nil || rel.Parent != nil || len(rel.SubUsers) != 1 || rel.SubUsers[0].ID != subGUID ||
			rel.SubUsers[0].UserType != models.RoleEntitled || rel.SubUsers[0].Member.MemberNumber != samHost {
			t.Fatalf("primary's relatives: %+v %v", rel, err)
		}
		sub := rel.SubUsers[0]
		if sub.ParentID == nil || *sub.ParentID != samGUID || sub.MemberID != sam.MemberID || !sub.Registered {
			t.Errorf("sub-user %+v", sub)
		}
		rel, err = store.RelativesOf(ctx, &sub)
		if err != nil || rel.Parent == nil || rel.Parent.ID != samGUID || len(rel.SubUsers) != 0 {
			t.Fatalf("sub-user's relatives: %+v %v", rel, err)
		}
		contacts, err := store.ContactsOf(ctx, sub.ID)
		if err != nil || len(contacts.Addresses) != 0 || len(contacts.Destinations) != 3 { // VOICE, SMS, EMAIL
			t.Errorf("sub-user contacts %+v %v", contacts, err)
		}
		var m models.Member
		store.Conn().Where("id = ?", sam.MemberID).Take(&m)
		if m.BillPayLoginID != "SAMSANDBOXBP1" {
			t.Errorf("bill pay login %q", m.BillPayLoginID)
		}
	})
}

// sandboxDocumentKey is the private half of FI 01111's sandbox document key.
func sandboxDocumentKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile("../docs/sandbox-document-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

func TestExportDocuments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		ctx := context.Background()
		fi, err := store.Institution(ctx, fi01111)
		if err != nil {
			t.Fatal(err)
		}
		sam, _ := store.InstitutionUserByRef(ctx, fi01111, "", samIUID)
		docs, err := store.ExportDocuments(fi, sam)
		if err != nil || len(docs) != 1 || docs[0].Type != db.DocumentSSN || docs[0].MaskedID != "*****6789" || strings.Contains(docs[0].Number, "6789") {
			t.Fatalf("documents %+v %v", docs, err)
		}
		raw, err := base64.StdEncoding.DecodeString(docs[0].Number)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := rsa.DecryptOAEP(sha256.New(), nil, sandboxDocumentKey(t), raw, nil)
		if err != nil || string(plain) != "123456789" {
			t.Fatalf("the sandbox key does not open the document: %q %v", plain, err)
		}
		sub, _ := store.InstitutionUserByRef(ctx, fi01111, "", subIUID)
		if docs, err := store.ExportDocuments(fi, sub); err != nil || len(docs) != 0 {
			t.Errorf("sub-user without an SSN: %+v %v", docs, err)
		}
		other, err := store.Institution(ctx, fi02222)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.ExportDocuments(other, sam); !errors.Is(err, models.ErrNoDocumentKey) {
			t.Errorf("an FI without a key: %v", err)
		}
	})
}

func TestProvisioningSubUsersFaults(t *testing.T) {
	head := "institutions:\n  - id: \"00016\"\n    name: Bank\n    members:\n      - memberNumber: \"M1\"\n        name: M\n"
	user := func(indent, login, extra string) string {
		return indent + "- loginId: " + login + "\n" + indent + "  password: Passw0rd!x\n" + indent + "  firstName: A\n" + indent + "  lastName: B\n" + extra
	}
	for _, tc := range []struct {
		name, file string
		wants      []string
	}{
		{"sub-user of a sub-user", head + "        users:\n" + user("          ", "primary1", "            subUsers:\n"+
			user("              ", "subuser1", "                subUsers:\n"+user("                  ", "subsub01", ""))),
			[]string{"line 17: institutions[0].members[0].users[0].subUsers[0].subUsers: a sub-user has no sub-users"}},
		{"login twice", head + "        users:\n" + user("          ", "primary1", "            subUsers:\n"+user("              ", "PRIMARY1", "")),
			[]string{"line 13: institutions[0].members[0].users[0].subUsers[0].loginId: login id listed twice"}},
		{"identifier twice", head + "        users:\n" + user("          ", "primary1", "            authId: 7e1f3a5c9b2d4e6f8a0c1e3b5d7f9a2c\n            subUsers:\n"+
			user("              ", "subuser1", "                authId: 7e1f3a5c9b2d4e6f8a0c1e3b5d7f9a2c\n")),
			[]string{"institutions[0].members[0].users[0].subUsers[0].authId: identifier listed twice"}},
		{"sub-user breaks the policy", head + "        users:\n" + user("          ", "primary1", "            subUsers:\n"+user("              ", "M1", "")),
			[]string{"institutions[0].members[0].users[0].subUsers[0].loginId: login id breaks the username policy"}},
		{"bill pay login", head + "        billPayLoginId: \"\\u0001x\"\n", []string{"line 7: institutions[0].members[0].billPayLoginId"}},
		{"document key", "institutions:\n  - id: \"00016\"\n    name: Bank\n    documentKey: |\n      -----BEGIN PUBLIC KEY-----\n      AAAA\n      -----END PUBLIC KEY-----\n",
			[]string{"line 4: institutions[0].documentKey: must be the PEM of an RSA public key"}},
	} {
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

// TestProvisioningReportsAUserHeldInAnotherRole: the file makes sandboxuser1 a sub-user (or the
// sandbox's sub-user a PRIMARY user) while the database holds it otherwise: a fault with line and
// field, nothing applied.
func TestProvisioningReportsAUserHeldInAnotherRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		file := "institutions:\n  - id: \"01111\"\n    name: Sandbox Federal Credit Union\n    members:\n      - memberNumber: \"100200300\"\n        name: Sam Sandbox\n" +
			"        users:\n          - loginId: sandboxsub1\n            password: Sandbox2024!\n            firstName: Casey\n            lastName: Sandbox\n" +
			"            subUsers:\n              - loginId: sandboxuser1\n                password: Sandbox2024!\n                firstName: Sam\n                lastName: Sandbox\n"
		pf, err := db.ParseProvisionFile([]byte(file))
		if err != nil {
			t.Fatal(err)
		}
		err = store.Provision(context.Background(), pf)
		var pe *db.ProvisionError
		if !errors.As(err, &pe) || len(pe.Faults) != 2 || pe.Faults[0].Line != 8 || pe.Faults[0].Field != "institutions[0].members[0].users[0].loginId" ||
			pe.Faults[1].Line != 13 || pe.Faults[1].Field != "institutions[0].members[0].users[0].subUsers[0].loginId" {
			t.Fatalf("want faults at lines 8 and 13, got %v", err)
		}
		sub, err := store.CustomerByLogin(context.Background(), fi01111, subLogin)
		if err != nil || sub.UserType != models.RoleEntitled {
			t.Errorf("sub-user changed: %+v %v", sub, err)
		}
	})
}
