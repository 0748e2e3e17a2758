package db

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/custreg/custreg/models"
)

// SaveTokens stores newly issued tokens; tokens of an app disabled meanwhile are refused with
// models.ErrClientAppDisabled. The app's row is read under a shared lock in the same
// transaction, so a concurrent DisableClientApp either sees these tokens (and revokes them) or
// is seen here.
//
// Concurrent calls are committed together (group commit): the first caller to find no write
// under way writes its tokens and every call that queued meanwhile in one transaction, then
// hands the writing on to the oldest call still waiting. A token costs one row write either
// way, but a transaction's fixed costs (the writer lock, BEGIN, the app check, COMMIT and, on
// PostgreSQL, its flush to disk) are paid once per group instead of once per token. A group
// that fails is written again one call per transaction, so one call's failure is its own.
func (s *Store) SaveTokens(ctx context.Context, tokens ...*models.Token) error {
	return s.tokenWrites.save(ctx, tokens, s.saveTokenGroup)
}

// tokenGroupMax bounds a group, so one transaction stays short.
const tokenGroupMax = 64

// tokenWrite is one SaveTokens call waiting for its group.
type tokenWrite struct {
	ctx    context.Context
	tokens []*models.Token
	done   chan tokenWriteResult
}

type tokenWriteResult struct {
	err  error
	lead bool // no result yet: write the next group
}

// groupCommit queues token writes and elects the writer of each group.
type groupCommit struct {
	mu      sync.Mutex
	pending []*tokenWrite
	writing bool
}

func (g *groupCommit) save(ctx context.Context, tokens []*models.Token, write func([]*tokenWrite)) error {
	w := &tokenWrite{ctx: ctx, tokens: tokens, done: make(chan tokenWriteResult, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, w)
	if g.writing {
		g.mu.Unlock()
		// Wait whatever the context says: the group may be committing this call's tokens now.
		if r := <-w.done; !r.lead {
			return r.err
		}
		g.mu.Lock()
	}
	g.writing = true
	for {
		n := min(len(g.pending), tokenGroupMax)
		group := g.pending[:n:n]
		g.pending = g.pending[n:]
		g.mu.Unlock()
		write(group)
		g.mu.Lock()
		if len(g.pending) == 0 {
			g.writing = false
			g.mu.Unlock()
			break
		}
		if !slices.Contains(group, w) {
			continue // this call's own group is still to come
		}
		next := g.pending[0] // hand over: this caller has its answer and goes back to its client
		g.mu.Unlock()
		next.done <- tokenWriteResult{lead: true}
		break
	}
	return (<-w.done).err
}

// saveTokenGroup writes a group in one transaction and answers each call of it. Calls whose
// context ended before the write are answered with that; a group transaction that fails is
// retried one call at a time.
func (s *Store) saveTokenGroup(group []*tokenWrite) {
	live := group[:0:0]
	for _, w := range group {
		if err := w.ctx.Err(); err != nil {
			w.done <- tokenWriteResult{err: Translate("save tokens", err)}
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 {
		return
	}
	if len(live) > 1 {
		// The group's transaction must not end with any one caller's context: it is bounded by
		// the earliest deadline among them (else by the statement budget).
		ctx, cancel := groupContext(live)
		refused := map[*tokenWrite]bool{}
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var all []*models.Token
			for _, w := range live {
				all = append(all, w.tokens...)
			}
			disabled, err := disabledApps(tx, all)
			if err != nil {
				return err
			}
			var rows []*models.Token
			for _, w := range live {
				if slices.ContainsFunc(w.tokens, func(t *models.Token) bool { return disabled[t.ClientAppID] }) {
					refused[w] = true
					continue
				}
				rows = append(rows, w.tokens...)
			}
			if len(rows) == 0 {
				return nil
			}
			return tx.Create(rows).Error
		})
		cancel()
		if err == nil {
			for _, w := range live {
				var e error
				if refused[w] {
					e = Translate("save tokens", models.ErrClientAppDisabled)
				}
				w.done <- tokenWriteResult{err: e}
			}
			return
		}
	}
	for _, w := range live {
		w.done <- tokenWriteResult{err: s.saveTokensAlone(w.ctx, w.tokens)}
	}
}

// groupContext is a context for a group's transaction: not cancelled by any member, ending at
// the earliest deadline of them.
func groupContext(group []*tokenWrite) (context.Context, context.CancelFunc) {
	var first time.Time
	for _, w := range group {
		if d, ok := w.ctx.Deadline(); ok && (first.IsZero() || d.Before(first)) {
			first = d
		}
	}
	ctx := context.WithoutCancel(group[0].ctx)
	if first.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, first)
}

// disabledApps reads, under a shared lock, which of the tokens' apps are disabled.
func disabledApps(tx *gorm.DB, tokens []*models.Token) (map[uint]bool, error) {
	ids := make([]uint, 0, 1)
	for _, t := range tokens {
		if !slices.Contains(ids, t.ClientAppID) {
			ids = append(ids, t.ClientAppID)
		}
	}
	var apps []struct {
		ID         uint
		DisabledAt sql.NullTime
	}
	err := tx.Model(&models.ClientApp{}).Clauses(clause.Locking{Strength: clause.LockingStrengthShare}).
		Select("id", "disabled_at").Where("id IN ?", ids).Find(&apps).Error
	if err != nil {
		return nil, err
	}
	out := make(map[uint]bool, len(apps))
	for _, a := range apps {
		out[a.ID] = a.DisabledAt.Valid
	}
	return out, nil
}

// saveTokensAlone writes one call's tokens in a transaction of their own.
func (s *Store) saveTokensAlone(ctx context.Context, tokens []*models.Token) error {
	return Translate("save tokens", s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		disabled, err := disabledApps(tx, tokens)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(tokens, func(t *models.Token) bool { return disabled[t.ClientAppID] }) {
			return models.ErrClientAppDisabled
		}
		return tx.Create(tokens).Error
	}))
}

// Token returns the token with the given hash, revoked or expired ones included.
func (s *Store) Token(ctx context.Context, hash string) (*models.Token, error) {
	var t models.Token
	if err := s.db.WithContext(ctx).Where("hash = ?", hash).Take(&t).Error; err != nil {
		return nil, Translate("get token", err)
	}
	return &t, nil
}

// RevokeToken revokes the app's token with the given hash and, for a refresh token, every access
// token issued with or from it (D29). Unknown tokens and other apps' tokens are left alone.
func (s *Store) RevokeToken(ctx context.Context, hash string, clientAppID uint, now time.Time) error {
	return Translate("revoke token", s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t models.Token
		err := tx.Where("hash = ? AND client_app_id = ?", hash, clientAppID).Take(&t).Error
		if err != nil {
			if err == gorm.ErrRecordNotFound {
				return nil
			}
			return err
		}
		q := tx.Model(&models.Token{}).Where("revoked_at IS NULL").Where("hash = ?", hash)
		if t.Kind == models.TokenRefresh {
			q = tx.Model(&models.Token{}).Where("revoked_at IS NULL").Where("hash = ? OR parent_hash = ?", hash, hash)
		}
		return q.Update("revoked_at", now).Error
	}))
}
