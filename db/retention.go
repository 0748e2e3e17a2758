package db

import (
	"context"
	"time"

	"github.com/custreg/custreg/models"
)

// Retention of short-lived rows.
const (
	// ExpiredTokenRetention keeps expired and revoked tokens a day longer, for investigations.
	ExpiredTokenRetention = 24 * time.Hour
	// IdempotencyRetention is how long a di_tid replays its first answer.
	IdempotencyRetention = 24 * time.Hour
	// inFlightTTL bounds how long a crashed instance's in-flight markers and idempotency claims
	// block a retry.
	inFlightTTL = 2 * time.Minute
)

// Purged counts what Purge removed.
type Purged struct {
	Tokens, IdempotencyRecords, InFlight, PasswordResets, OutboxMessages, PortalSessions int64
}

// Purge deletes tokens expired for longer than ExpiredTokenRetention, idempotency records older
// than IdempotencyRetention, stale in-flight markers, password-reset challenges expired for
// longer than PasswordResetRetention, sandbox outbox messages older than OutboxRetention and
// expired developer-portal sessions.
// Evidence and audit rows are never purged.
func (s *Store) Purge(ctx context.Context, now time.Time) (Purged, error) {
	var out Purged
	conn := s.db.WithContext(ctx)
	res := conn.Where("expires_at < ?", now.Add(-ExpiredTokenRetention)).Delete(&models.Token{})
	if res.Error != nil {
		return out, Translate("purge tokens", res.Error)
	}
	out.Tokens = res.RowsAffected
	res = conn.Where("created_at < ?", now.Add(-IdempotencyRetention)).Delete(&models.IdempotencyRecord{})
	if res.Error != nil {
		return out, Translate("purge idempotency records", res.Error)
	}
	out.IdempotencyRecords = res.RowsAffected
	res = conn.Where("created_at < ?", now.Add(-inFlightTTL)).Delete(&models.InFlight{})
	if res.Error != nil {
		return out, Translate("purge in-flight markers", res.Error)
	}
	out.InFlight = res.RowsAffected
	res = conn.Where("expires_at < ?", now.Add(-PasswordResetRetention)).Delete(&models.PasswordReset{})
	if res.Error != nil {
		return out, Translate("purge password resets", res.Error)
	}
	out.PasswordResets = res.RowsAffected
	res = conn.Where("sent_at < ?", now.Add(-OutboxRetention)).Delete(&models.OutboxMessage{})
	if res.Error != nil {
		return out, Translate("purge outbox messages", res.Error)
	}
	out.OutboxMessages = res.RowsAffected
	res = conn.Where("expires_at < ?", now).Delete(&models.PortalSession{})
	if res.Error != nil {
		return out, Translate("purge portal sessions", res.Error)
	}
	out.PortalSessions = res.RowsAffected
	return out, nil
}
