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

const sandboxWebhookSecret = "sandbox-webhook-secret-01111"

// TestMessagingGatewayIsSealed: the FI's webhook secret is stored encrypted under the PII key
// ring (bound to its FI), opens back for signing, and a reload changes nothing; another secret
// in the file replaces it; seeding keeps what is stored; an FI without a gateway is not found.
func TestMessagingGatewayIsSealed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, store *db.Store) {
		ctx := context.Background()
		dbtest.Sandbox(t, store)
		url, secret, err := store.MessagingGateway(ctx, "01111")
		if err != nil || url != "http://127.0.0.1:9/sandbox-gateway/messages" || secret != sandboxWebhookSecret {
			t.Fatalf("gateway %q %q %v", url, secret, err)
		}
		var row models.MessagingGateway
		if err := store.Conn().Where("institution_id = ?", "01111").Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		if row.WebhookSecretEnc == "" || strings.Contains(row.WebhookSecretEnc, "sandbox-webhook") {
			t.Errorf("secret not sealed: %q", row.WebhookSecretEnc)
		}
		if _, err := dbtest.Keys(store).DecryptString(row.WebhookSecretEnc, db.AAD("02222", "messaging-gateway", "webhook_secret")); err == nil {
			t.Error("the sealed secret opens under another FI's AAD")
		}
		if _, _, err := store.MessagingGateway(ctx, "02222"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("FI without gateway: %v", err)
		}

		dbtest.Sandbox(t, store)
		var again models.MessagingGateway
		store.Conn().Where("institution_id = ?", "01111").Take(&again)
		if again.WebhookSecretEnc != row.WebhookSecretEnc {
			t.Error("reloading an unchanged gateway rewrote its secret")
		}

		file := func(secret string) *db.ProvisionFile {
			pf, err := db.ParseProvisionFile([]byte("institutions:\n  - id: \"01111\"\n    name: Sandbox Federal Credit Union\n" +
				"    messaging:\n      webhookUrl: https://gateway.sandbox-fcu.example/v1/messages\n      webhookSecret: " + secret + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			return pf
		}
		if err := store.Seed(ctx, file("seeded-secret-is-ignored")); err != nil {
			t.Fatal(err)
		}
		if _, secret, _ := store.MessagingGateway(ctx, "01111"); secret != sandboxWebhookSecret {
			t.Error("seeding replaced a stored gateway")
		}
		if err := store.Provision(ctx, file("rotated-secret-0123456789")); err != nil {
			t.Fatal(err)
		}
		if url, secret, _ := store.MessagingGateway(ctx, "01111"); url != "https://gateway.sandbox-fcu.example/v1/messages" || secret != "rotated-secret-0123456789" {
			t.Errorf("provisioned gateway %q %q", url, secret)
		}
	})
}

// TestParseProvisionFileChecksMessaging: the gateway must be https (http to loopback only),
// its secret at least 16 characters; each fault carries its line and field.
func TestParseProvisionFileChecksMessaging(t *testing.T) {
	head := "institutions:\n  - id: \"00016\"\n    name: Bank\n    messaging:\n"
	for name, tc := range map[string]struct {
		body  string
		wants []string
	}{
		"http off loopback": {"      webhookUrl: http://gateway.bank.example/sms\n      webhookSecret: 0123456789abcdef\n",
			[]string{"line 5: institutions[0].messaging.webhookUrl", "https"}},
		"not a URL": {"      webhookUrl: gateway\n      webhookSecret: 0123456789abcdef\n",
			[]string{"line 5: institutions[0].messaging.webhookUrl"}},
		"credentials in the URL": {"      webhookUrl: https://user:pw@gateway.bank.example/sms\n      webhookSecret: 0123456789abcdef\n",
			[]string{"line 5: institutions[0].messaging.webhookUrl"}},
		"short secret": {"      webhookUrl: https://gateway.bank.example/sms\n      webhookSecret: tooshort\n",
			[]string{"line 6: institutions[0].messaging.webhookSecret", "16-256"}},
		"nothing given": {"      {}\n",
			[]string{"institutions[0].messaging.webhookUrl", "institutions[0].messaging.webhookSecret"}},
		"unknown field": {"      webhookUrl: https://gateway.bank.example/sms\n      webhookSecret: 0123456789abcdef\n      secret: x\n",
			[]string{"line 7", "secret"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := db.ParseProvisionFile([]byte(head + tc.body))
			var pe *db.ProvisionError
			if !errors.As(err, &pe) {
				t.Fatalf("want a ProvisionError, got %v", err)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "tooshort") || strings.Contains(err.Error(), "0123456789abcdef") {
				t.Errorf("the error repeats a secret: %v", err)
			}
		})
	}
	for _, ok := range []string{
		"      webhookUrl: https://gateway.bank.example/sms\n      webhookSecret: 0123456789abcdef\n",
		"      webhookUrl: http://localhost:8025/sms\n      webhookSecret: 0123456789abcdef\n",
	} {
		if _, err := db.ParseProvisionFile([]byte(head + ok)); err != nil {
			t.Errorf("refused %q: %v", ok, err)
		}
	}
}
