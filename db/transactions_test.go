package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/custreg/custreg/db"
	"github.com/custreg/custreg/db/dbtest"
	"github.com/custreg/custreg/models"
)

// TestSandboxAccountsHaveRecentTransactions: every sandbox account carries transactions, the
// newest first, their direction taken from the type, amounts in minor units.
func TestSandboxAccountsHaveRecentTransactions(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		var accounts []models.Account
		if err := store.Conn().Order("id").Find(&accounts).Error; err != nil {
			t.Fatal(err)
		}
		got, err := store.RecentTransactions(ctx, accounts, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accounts {
			ts := got[a.ID]
			if len(ts) < 2 {
				t.Errorf("account %s has %d transactions", a.PublicID, len(ts))
			}
			for i, tr := range ts {
				if i > 0 && tr.TransactionDate > ts[i-1].TransactionDate {
					t.Errorf("account %s: not newest first: %s after %s", a.PublicID, tr.TransactionDate, ts[i-1].TransactionDate)
				}
				if tr.AmountMinor <= 0 || tr.CurrencyCode != a.CurrencyCode || tr.EffectiveDate == "" || tr.PublicID == "" {
					t.Errorf("transaction %+v", tr)
				}
			}
		}
		// Sam's checking: the payroll is a credit of 1450.00, the pending ATM withdrawal first.
		var sam models.Account
		store.Conn().Where("public_id = ?", "Qw3eR5tY7uI9oP1aS3dF5gH7jK9lZ1xC3vB5nM7qWe9").Take(&sam)
		ts := got[sam.ID]
		if len(ts) != 4 || ts[0].Number != "1004" || !ts[0].Pending || ts[0].Credit || ts[3].Number != "1001" ||
			!ts[3].Credit || ts[3].AmountMinor != 145000 || ts[3].Type != "DIRECT_DEPOSIT" {
			t.Errorf("Sam's checking: %+v", ts)
		}
		// The limit holds, and an account of another FI is not mixed in.
		two, err := store.RecentTransactions(ctx, []models.Account{sam}, 2)
		if err != nil || len(two[sam.ID]) != 2 || two[sam.ID][0].Number != "1004" {
			t.Errorf("limit 2: %+v %v", two, err)
		}
		// Seeding again adds nothing; a deleted transaction is seeded again.
		var n int64
		store.Conn().Model(&models.Transaction{}).Count(&n)
		store.Conn().Where("account_id = ? AND number = ?", sam.ID, "1002").Delete(&models.Transaction{})
		dbtest.Sandbox(t, store)
		var m int64
		store.Conn().Model(&models.Transaction{}).Count(&m)
		if m != n {
			t.Errorf("transactions %d after reseeding, %d before", m, n)
		}
	})
}

// TestProvisionTransactionsUpsertsByNumber: a provisioning file is the FI's truth for the
// transactions it lists (matched by number within the account), and leaves others alone.
func TestProvisionTransactionsUpsertsByNumber(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		dbtest.Sandbox(t, store)
		file := `institutions:
  - id: "01111"
    name: Sandbox Federal Credit Union
    members:
      - memberNumber: "100200300"
        name: Sam Sandbox
        accounts:
          - number: "1234567890"
            category: DEPOSIT
            type: CHECKING
            currentBalance: "812.55"
            availableBalance: "812.55"
            transactions:
              - number: "1002"
                type: POS_PURCHASE
                amount: "64.23"
                description: Corner Grocery (corrected)
                transactionDate: "2026-11-28"
                effectiveDate: "2026-11-29"
              - number: "1005"
                id: fixed-transaction-id-0001
                type: REFUND
                amount: "5"
                currency: USD
                transactionDate: 2026-12-02
`
		pf, err := db.ParseProvisionFile([]byte(file))
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Provision(ctx, pf); err != nil {
			t.Fatal(err)
		}
		var sam models.Account
		store.Conn().Where("public_id = ?", "Qw3eR5tY7uI9oP1aS3dF5gH7jK9lZ1xC3vB5nM7qWe9").Take(&sam)
		got, err := store.RecentTransactions(ctx, []models.Account{sam}, 100)
		if err != nil {
			t.Fatal(err)
		}
		byNumber := map[string]models.Transaction{}
		for _, tr := range got[sam.ID] {
			byNumber[tr.Number] = tr
		}
		if len(byNumber) != 5 {
			t.Fatalf("want the 4 sandbox transactions and 1 new, got %d", len(byNumber))
		}
		if c := byNumber["1002"]; c.AmountMinor != 6423 || c.EffectiveDate != "2026-11-29" || !strings.Contains(c.Description, "corrected") {
			t.Errorf("1002 not updated: %+v", c)
		}
		if r := byNumber["1005"]; r.PublicID != "fixed-transaction-id-0001" || !r.Credit || r.AmountMinor != 500 ||
			r.TransactionDate != "2026-12-02" || r.EffectiveDate != "2026-12-02" {
			t.Errorf("1005: %+v", r)
		}
		// The same id for another transaction is a file fault with its line, nothing applied.
		clash := strings.Replace(file, `"1005"`, `"1006"`, 1)
		pf, err = db.ParseProvisionFile([]byte(clash))
		if err != nil {
			t.Fatal(err)
		}
		err = store.Provision(ctx, pf)
		var pe *db.ProvisionError
		if !errors.As(err, &pe) || len(pe.Faults) != 1 || pe.Faults[0].Line != 21 ||
			pe.Faults[0].Field != "institutions[0].members[0].accounts[0].transactions[1].id" {
			t.Fatalf("want one fault at line 21 on the transaction id, got %v", err)
		}
	})
}

func TestParseProvisionFileChecksTransactions(t *testing.T) {
	head := "institutions:\n  - id: \"00016\"\n    name: Bank\n    members:\n      - memberNumber: \"A1\"\n        name: M\n" +
		"        accounts:\n          - number: \"1234\"\n            category: DEPOSIT\n            type: CHECKING\n            transactions:\n"
	at := "institutions[0].members[0].accounts[0].transactions"
	cases := []struct {
		name  string
		tx    string
		wants []string
	}{
		{"every field wrong", "              - number: \"7 7\"\n                id: short\n                type: SHOPPING\n                amount: \"-5.00\"\n" +
			"                currency: dollars\n                transactionDate: \"2026-02-30\"\n                effectiveDate: yesterday\n",
			[]string{"line 12: " + at + "[0].number", "line 13: " + at + "[0].id", "line 14: " + at + "[0].type",
				"line 15: " + at + "[0].amount", "line 16: " + at + "[0].currency", "line 17: " + at + "[0].transactionDate",
				"line 18: " + at + "[0].effectiveDate"}},
		{"missing values", "              - description: nothing else\n",
			[]string{at + "[0].number", at + "[0].type", at + "[0].amount", at + "[0].transactionDate"}},
		{"zero amount", "              - {number: \"1\", type: DEPOSIT, amount: \"0.00\", transactionDate: \"2026-01-02\"}\n",
			[]string{at + "[0].amount"}},
		{"duplicates", "              - {number: \"1\", id: same-id-1234567890, type: DEPOSIT, amount: \"1\", transactionDate: \"2026-01-02\"}\n" +
			"              - {number: \"1\", id: same-id-1234567890, type: DEPOSIT, amount: \"1\", transactionDate: \"2026-01-02\"}\n",
			[]string{"line 13: " + at + "[1].number", at + "[1].id"}},
		{"unknown field", "              - {number: \"1\", type: DEPOSIT, amount: \"1\", transactionDate: \"2026-01-02\", credit: true}\n",
			[]string{"line 12", "credit"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.ParseProvisionFile([]byte(head + tc.tx))
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
