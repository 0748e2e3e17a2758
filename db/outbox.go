package db

import (
	"context"
	"strings"
	"time"

	"github.com/custreg/custreg/models"
)

// MaxOutboxMessages bounds one read of the sandbox outbox.
const MaxOutboxMessages = 50

// OutboxRetention is how long the sandbox outbox keeps a message.
const OutboxRetention = 24 * time.Hour

// NormalizeDestination is the form the outbox finds a destination by: an email address
// lower-cased, a phone number by its digits without the North American country code (so
// "+1 (555) 123-4567" and "5551234567" are one destination).
func NormalizeDestination(to string) string {
	to = strings.TrimSpace(to)
	if strings.Contains(to, "@") {
		return strings.ToLower(to)
	}
	var b strings.Builder
	for _, r := range to {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	if d == "" {
		return strings.ToLower(to)
	}
	return d
}

// SaveOutboxMessage keeps a message of the sandbox outbox. It implements notify.OutboxStore.
func (s *Store) SaveOutboxMessage(ctx context.Context, m *models.OutboxMessage) error {
	m.ToNorm = NormalizeDestination(m.To)
	return Translate("save outbox message", s.db.WithContext(ctx).Create(m).Error)
}

// OutboxMessages returns the outbox's messages to the destination ("" for all), newest first,
// at most limit of them (0 or more than MaxOutboxMessages: MaxOutboxMessages).
func (s *Store) OutboxMessages(ctx context.Context, to string, limit int) ([]models.OutboxMessage, error) {
	if limit <= 0 || limit > MaxOutboxMessages {
		limit = MaxOutboxMessages
	}
	q := s.db.WithContext(ctx).Order("sent_at DESC").Order("id DESC").Limit(limit)
	if to != "" {
		q = q.Where("destination_norm = ?", NormalizeDestination(to))
	}
	var out []models.OutboxMessage
	if err := q.Find(&out).Error; err != nil {
		return nil, Translate("list outbox messages", err)
	}
	return out, nil
}
