package db

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
)

// IdempotencyAAD binds a stored Register v4 reply to its app and di_tid.
func IdempotencyAAD(appID uint, traceID string) string {
	return "idempotency|app=" + strconv.FormatUint(uint64(appID), 10) + "|tid=" + traceID
}

// Reply is the stored answer of a request that already succeeded, to be sent again as it was.
type Reply struct {
	ContentType string
	Body        []byte
}

// Replay looks the request's idempotency key up without claiming it: the stored Reply when the
// same request (same body) already succeeded, nil when the key is unknown, and models.ErrInFlight
// when it is in use by a running request or was used with another body (D7).
func (s *Store) Replay(ctx context.Context, o Origin) (*Reply, error) {
	var rec models.IdempotencyRecord
	err := s.db.WithContext(ctx).Where("client_app_id = ? AND trace_id = ?", o.ClientAppID, o.TraceID).Take(&rec).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return nil, nil
	case err != nil:
		return nil, Translate("read idempotency record", err)
	}
	return s.replyOf(&rec, o)
}

func (s *Store) replyOf(rec *models.IdempotencyRecord, o Origin) (*Reply, error) {
	if rec.Status == 0 || rec.RequestHash != o.RequestHash {
		return nil, models.ErrInFlight
	}
	body, err := replyField.open(s.keys, rec)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	return &Reply{ContentType: rec.ContentType, Body: []byte(body)}, nil
}

// beginIdempotent claims the request's idempotency key. When the key is new it returns (nil,
// nil) and the caller owns it; when the same request already succeeded, its Reply; otherwise
// models.ErrInFlight. Abandoned claims older than inFlightTTL (a crashed instance) are taken
// over.
func (s *Store) beginIdempotent(ctx context.Context, o Origin, now time.Time) (*Reply, error) {
	rec := models.IdempotencyRecord{ClientAppID: o.ClientAppID, TraceID: o.TraceID, RequestHash: o.RequestHash, CreatedAt: now}
	for attempt := 0; attempt < 2; attempt++ {
		err := s.db.WithContext(ctx).Create(&rec).Error
		if err == nil {
			return nil, nil
		}
		if !errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, Translate("begin idempotent request", err)
		}
		var cur models.IdempotencyRecord
		if err := s.db.WithContext(ctx).Where("client_app_id = ? AND trace_id = ?", o.ClientAppID, o.TraceID).Take(&cur).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				continue // released meanwhile: try again
			}
			return nil, Translate("read idempotency record", err)
		}
		if cur.Status == 0 && cur.CreatedAt.Before(now.Add(-inFlightTTL)) {
			if err := s.db.WithContext(ctx).Where("client_app_id = ? AND trace_id = ? AND status = 0", o.ClientAppID, o.TraceID).
				Delete(&models.IdempotencyRecord{}).Error; err != nil {
				return nil, Translate("expire idempotency record", err)
			}
			continue
		}
		return s.replyOf(&cur, o)
	}
	return nil, fmt.Errorf("begin idempotent request: %w", models.ErrInFlight)
}

// completeIdempotent renders the registration's reply and stores it, encrypted, on the claimed
// idempotency record, inside the registration's transaction. The record must still be this
// request's claim.
func (s *Store) completeIdempotent(tx *gorm.DB, o Origin, done *Registered, reply ReplyFunc, now time.Time) error {
	body, ctype, err := reply(done)
	if err != nil {
		return err
	}
	rec := models.IdempotencyRecord{ClientAppID: o.ClientAppID, TraceID: o.TraceID}
	if err := replyField.seal(s.keys, &rec, string(body)); err != nil {
		return err
	}
	res := tx.Model(&models.IdempotencyRecord{}).Where("client_app_id = ? AND trace_id = ? AND status = 0 AND request_hash = ?",
		o.ClientAppID, o.TraceID, o.RequestHash).
		Updates(map[string]any{"status": 200, "content_type": ctype, "response_enc": rec.ResponseEnc, "completed_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return models.ErrInFlight // the claim was taken over meanwhile: let its owner answer
	}
	return nil
}

// abandonIdempotent releases a claim whose request stored nothing, so the client may retry it.
func (s *Store) abandonIdempotent(ctx context.Context, o Origin) error {
	return Translate("abandon idempotent request", s.db.WithContext(ctx).
		Where("client_app_id = ? AND trace_id = ? AND status = 0 AND request_hash = ?", o.ClientAppID, o.TraceID, o.RequestHash).
		Delete(&models.IdempotencyRecord{}).Error)
}
