package db

import (
	"context"

	"github.com/custreg/custreg/models"
)

// RecentTransactions returns, for each account, at most perAccount of its transactions, the
// newest first (by transaction date, then the order they were stored in). Accounts without
// transactions have no entry.
func (s *Store) RecentTransactions(ctx context.Context, accounts []models.Account, perAccount int) (map[uint][]models.Transaction, error) {
	out := make(map[uint][]models.Transaction, len(accounts))
	conn := s.db.WithContext(ctx)
	for i := range accounts {
		var ts []models.Transaction
		err := conn.Where("account_id = ? AND institution_id = ?", accounts[i].ID, accounts[i].InstitutionID).
			Order("transaction_date DESC").Order("id DESC").Limit(perAccount).Find(&ts).Error
		if err != nil {
			return nil, Translate("list transactions", err)
		}
		if len(ts) > 0 {
			out[accounts[i].ID] = ts
		}
	}
	return out, nil
}
