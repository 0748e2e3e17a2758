package db

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
)

// AccountUser names the user of an accounts request within one FI: exactly one field is set.
type AccountUser struct {
	MemberNumber string // hostUserId: any host member, registered or not (D10)
	LoginID      string // a registered customer's username, matched case-insensitively
	CustomerID   string // the customer of a password-grant token
}

// MemberAccounts is a host member with every account it holds, and the customer acting for it.
type MemberAccounts struct {
	Member models.Member
	// Customer is the customer the request named (by login or token), else the member's PRIMARY
	// customer; nil while nobody has registered for the member.
	Customer *models.Customer
	Accounts []models.Account // in provisioning order
}

// MemberAccounts resolves the user within the FI and loads its member's accounts. It never looks
// outside fiID; an unknown user (or one of another FI) is models.ErrNotFound.
func (s *Store) MemberAccounts(ctx context.Context, fiID string, user AccountUser) (*MemberAccounts, error) {
	conn := s.db.WithContext(ctx)
	out := &MemberAccounts{}
	switch {
	case user.LoginID != "" || user.CustomerID != "":
		var c models.Customer
		q := conn.Where("institution_id = ?", fiID)
		if user.CustomerID != "" {
			q = q.Where("id = ?", user.CustomerID)
		} else {
			q = q.Where("login_id_norm = ?", rules.NormalizeUsername(user.LoginID))
		}
		if err := q.Take(&c).Error; err != nil {
			return nil, Translate("find account user", err)
		}
		if err := conn.Where("id = ? AND institution_id = ?", c.MemberID, fiID).Take(&out.Member).Error; err != nil {
			return nil, Translate("find account user's member", err)
		}
		out.Customer = &c
	case user.MemberNumber != "":
		if err := conn.Where("institution_id = ? AND member_number = ?", fiID, user.MemberNumber).Take(&out.Member).Error; err != nil {
			return nil, Translate("find member", err)
		}
		var c models.Customer
		err := conn.Where("member_id = ? AND user_type = ?", out.Member.ID, "PRIMARY").Take(&c).Error
		switch {
		case err == nil:
			out.Customer = &c
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return nil, Translate("find member's customer", err)
		}
	default:
		return nil, fmt.Errorf("member accounts: no user named: %w", models.ErrNotFound)
	}
	err := conn.Where("member_id = ? AND institution_id = ?", out.Member.ID, fiID).Order("id").Find(&out.Accounts).Error
	if err != nil {
		return nil, Translate("list member accounts", err)
	}
	return out, nil
}
