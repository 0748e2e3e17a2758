package db

import (
	"context"
	"strings"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
	"github.com/custreg/custreg/secure"
)

// NewCustomerInput is what creating a customer record needs, in clear.
type NewCustomerInput struct {
	ID, LoginID, Password, FirstName, MiddleName, LastName, Email string
	SSN, BirthDate, MotherMaidenName                              string
}

// NewCustomer builds (without saving) a PRIMARY customer of member m: fresh identifiers, the
// password hashed, SSN, birth date and maiden name encrypted, the SSN blind-indexed per FI.
func (s *Store) NewCustomer(ctx context.Context, fiID string, m *models.Member, in NewCustomerInput) (models.Customer, error) {
	var err error
	c := models.Customer{ID: in.ID, InstitutionID: fiID, MemberID: m.ID, UserType: "PRIMARY",
		LoginID: in.LoginID, LoginIDNorm: rules.NormalizeUsername(in.LoginID),
		FirstName: in.FirstName, MiddleName: in.MiddleName, LastName: in.LastName, Email: in.Email}
	if c.ID == "" {
		if c.ID, err = secure.NewID32(); err != nil {
			return c, err
		}
	}
	if c.AuthID, err = secure.NewID32(); err != nil {
		return c, err
	}
	if c.InstitutionUserID, err = secure.NewID32(); err != nil {
		return c, err
	}
	c.InstitutionUserID = strings.ToUpper(c.InstitutionUserID)
	c.HostLoginID = strings.ToUpper(c.ID[:12])
	if c.PasswordHash, err = s.Passwords.Hash(ctx, in.Password); err != nil {
		return c, err
	}
	encrypt := func(field, v string) (string, error) {
		if v == "" {
			return "", nil
		}
		return s.Keys.EncryptString(v, AAD(fiID, c.ID, field))
	}
	if c.SSNEnc, err = encrypt("ssn", in.SSN); err != nil {
		return c, err
	}
	if in.SSN != "" {
		c.SSNLast4 = in.SSN[len(in.SSN)-4:]
		c.SSNIndex = s.Keys.BlindIndex("ssn:"+fiID, in.SSN)
	}
	if c.BirthDateEnc, err = encrypt("birth_date", in.BirthDate); err != nil {
		return c, err
	}
	if c.MotherMaidenNameEnc, err = encrypt("mother_maiden_name", in.MotherMaidenName); err != nil {
		return c, err
	}
	return c, nil
}
