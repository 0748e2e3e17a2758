package db

import (
	"context"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
)

// Rekeyed counts the rows Rekey rewrote, and the client apps it could not move.
type Rekeyed struct {
	Customers, Accounts, IdempotencyRecords int
	MessagingGateways                       int
	// StaleClientSecrets counts apps whose secret digest is under an earlier key or format.
	// Secrets are not recoverable from their digests, so each moves to the primary key at its
	// app's next successful token request (or when its secret is provisioned again).
	StaleClientSecrets int
}

// rekeyBatch bounds one transaction of Rekey.
const rekeyBatch = 200

// Rekey moves every encrypted value of the catalogue (pii.go) to the key ring's primary key and
// recomputes the blind indexes under it: run it after making a new key primary (the old one
// still in the ring, see --pii-old-keys), then retire the old key. Rows already under the
// primary are left alone, so Rekey can be interrupted and run again.
func (s *Store) Rekey(ctx context.Context) (Rekeyed, error) {
	return s.RekeyWithProgress(ctx, nil)
}

// RekeyWithProgress is Rekey reporting to p (nil: no report): the total is the number of rows
// under an old key, each rewritten row one unit.
func (s *Store) RekeyWithProgress(ctx context.Context, p Progress) (Rekeyed, error) {
	p = progressOr(p)
	var out Rekeyed
	total, err := s.countUnderOldKey(ctx)
	if err != nil {
		return out, Translate("count rows under old keys", err)
	}
	p.Total(total)
	if out.Customers, err = rekeyRows(ctx, s, customerPII, p); err != nil {
		return out, Translate("rekey customers", err)
	}
	if out.Accounts, err = rekeyRows(ctx, s, accountPII, p); err != nil {
		return out, Translate("rekey accounts", err)
	}
	if out.IdempotencyRecords, err = s.rekeyReplies(ctx, p); err != nil {
		return out, Translate("rekey idempotency records", err)
	}
	if out.MessagingGateways, err = rekeyRows(ctx, s, gatewayPII, p); err != nil {
		return out, Translate("rekey messaging gateways", err)
	}
	var n int64
	err = s.db.WithContext(ctx).Model(&models.ClientApp{}).Where("secret_hash NOT LIKE ?", "hmac-sha256$"+s.keys.PrimaryID()+"$%").Count(&n).Error
	if err != nil {
		return out, Translate("count client secrets under old keys", err)
	}
	out.StaleClientSecrets = int(n)
	return out, nil
}

// countUnderOldKey counts the rows Rekey would select (an upper bound of what it rewrites).
func (s *Store) countUnderOldKey(ctx context.Context) (int, error) {
	customers, err := countStale(ctx, s, customerPII)
	if err != nil {
		return 0, err
	}
	accounts, err := countStale(ctx, s, accountPII)
	if err != nil {
		return 0, err
	}
	replies, err := countStale(ctx, s, replyPII)
	if err != nil {
		return 0, err
	}
	gateways, err := countStale(ctx, s, gatewayPII)
	return int(customers + accounts + replies + gateways), err
}

func countStale[T any](ctx context.Context, s *Store, fields []*piiField[T]) (int64, error) {
	where, args, _ := underOldKey(s, fields)
	var n int64
	err := s.db.WithContext(ctx).Model(new(T)).Where(where, args...).Count(&n).Error
	return n, err
}

// underOldKey selects the rows with any of the fields stored under another key than the
// primary, and reports it of one row. SQLite's LIKE ignores case and key ids need not, so the
// query may select more rows than the check keeps.
func underOldKey[T any](s *Store, fields []*piiField[T]) (where string, args []any, stale func(*T) bool) {
	prefix := "v1." + s.keys.PrimaryID() + "."
	var conds []string
	for _, f := range fields {
		conds = append(conds, "("+f.column+" <> '' AND "+f.column+" NOT LIKE ?)")
		args = append(args, prefix+"%")
	}
	stale = func(row *T) bool {
		return slices.ContainsFunc(fields, func(f *piiField[T]) bool {
			v := *f.cipher(row)
			return v != "" && !strings.HasPrefix(v, prefix)
		})
	}
	return strings.Join(conds, " OR "), args, stale
}

// rekeyRows re-seals the fields of every row of T (a table with a primary key) that holds one
// under an old key, a batch per transaction, and counts the rows it rewrote.
func rekeyRows[T any](ctx context.Context, s *Store, fields []*piiField[T], p Progress) (int, error) {
	where, args, stale := underOldKey(s, fields)
	var columns []string
	for _, f := range fields {
		columns = append(columns, f.columns()...)
	}
	n := 0
	var rows []T
	err := s.db.WithContext(ctx).Where(where, args...).FindInBatches(&rows, rekeyBatch, func(tx *gorm.DB, _ int) error {
		for i := range rows {
			row := &rows[i]
			if !stale(row) {
				continue
			}
			for _, f := range fields {
				if err := f.reseal(s.keys, row); err != nil {
					return err
				}
			}
			if err := tx.Model(row).Select(columns).Updates(row).Error; err != nil {
				return err
			}
			n++
			p.Add(1)
		}
		return nil
	}).Error
	return n, err
}

// rekeyReplies is rekeyRows for the stored replies, whose key is composite: it takes batches
// until none is left under an old key.
func (s *Store) rekeyReplies(ctx context.Context, p Progress) (int, error) {
	where, args, stale := underOldKey(s, replyPII)
	n := 0
	for {
		var records []models.IdempotencyRecord
		err := s.db.WithContext(ctx).Where(where, args...).Limit(rekeyBatch).Find(&records).Error
		if err != nil {
			return n, err
		}
		progressed := 0
		for i := range records {
			r := &records[i]
			if !stale(r) {
				continue
			}
			update := map[string]any{}
			for _, f := range replyPII {
				if err := f.reseal(s.keys, r); err != nil {
					return n, err
				}
				update[f.column] = *f.cipher(r)
			}
			err := s.db.WithContext(ctx).Model(&models.IdempotencyRecord{}).Where("client_app_id = ? AND trace_id = ?", r.ClientAppID, r.TraceID).
				Updates(update).Error
			if err != nil {
				return n, err
			}
			n++
			progressed++
			p.Add(1)
		}
		if progressed == 0 {
			return n, nil
		}
	}
}
