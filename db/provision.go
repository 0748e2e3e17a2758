package db

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/rules"
	"github.com/custreg/custreg/secure"
)

// Provision applies a checked provisioning file in one transaction: every record is inserted or
// updated (idempotent upsert), and on any failure nothing is applied. The file is the FI's
// truth: what the database holds differently is overwritten.
func (s *Store) Provision(ctx context.Context, pf *ProvisionFile) error {
	return s.provision(ctx, pf, false, nil)
}

// ProvisionWithProgress is Provision reporting to p (nil: no report), one unit per institution,
// member and client app of the file. The units count work done inside the transaction: nothing
// is applied until the last one, and a failure applies nothing.
func (s *Store) ProvisionWithProgress(ctx context.Context, pf *ProvisionFile, p Progress) error {
	return s.provision(ctx, pf, false, p)
}

// Units is the number of units ProvisionWithProgress reports for pf.
func (pf *ProvisionFile) Units() int {
	n := len(pf.Institutions) + len(pf.ClientApps)
	for _, fi := range pf.Institutions {
		n += len(fi.Members)
	}
	return n
}

// Seed applies a checked provisioning file in one transaction, adding only what is missing:
// records that exist (an FI, a disclosure definition by id or name, a member, an account, a user,
// a client app) are left as they are, whatever the file says, so a sandbox reloaded at every
// start keeps what its users changed through the API.
func (s *Store) Seed(ctx context.Context, pf *ProvisionFile) error {
	return s.provision(ctx, pf, true, nil)
}

func (s *Store) provision(ctx context.Context, pf *ProvisionFile, seed bool, p Progress) error {
	p = progressOr(p)
	p.Total(pf.Units())
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.checkReferences(tx, pf, seed); err != nil {
			return err
		}
		for i := range pf.Institutions {
			if err := s.provisionInstitution(ctx, tx, &pf.Institutions[i], seed, p); err != nil {
				return err
			}
		}
		for i := range pf.ClientApps {
			if err := s.provisionClientApp(tx, &pf.ClientApps[i], i, seed); err != nil {
				return err
			}
			p.Add(1)
		}
		return nil
	})
}

// checkReferences reports, like the file's own faults (line and field), what only the database
// can tell: client apps naming an FI that is neither in the file nor stored, and (when the file
// is applied as the truth, not seeded) accounts the database holds under another member.
func (s *Store) checkReferences(tx *gorm.DB, pf *ProvisionFile, seed bool) error {
	inFile := map[string]bool{}
	for _, fi := range pf.Institutions {
		inFile[fi.ID] = true
	}
	var faults []Fault
	for i, app := range pf.ClientApps {
		for j, fiID := range app.Institutions {
			if inFile[fiID] {
				continue
			}
			found, err := exists(tx, &models.Institution{}, "id = ?", fiID)
			if err != nil {
				return Translate("find institution "+fiID, err)
			}
			if !found {
				faults = append(faults, pf.fault("institution "+fiID+" is neither in this file nor in the database", "clientApps", i, "institutions", j))
			}
		}
	}
	for i, fi := range pf.Institutions {
		for j, m := range fi.Members {
			for k, a := range m.Accounts {
				if seed {
					break // seeding leaves existing accounts alone
				}
				var holder string
				err := tx.Model(&models.Account{}).Select("members.member_number").Joins("JOIN members ON members.id = accounts.member_id").
					Where("accounts.institution_id = ? AND accounts.number_index = ?", fi.ID, accountNumberField.indexOf(s.keys, fi.ID, a.Number)).
					Limit(1).Scan(&holder).Error
				if err != nil {
					return Translate("find account", err)
				}
				if holder != "" && holder != m.MemberNumber {
					faults = append(faults, pf.fault("the account ending "+a.Number[max(0, len(a.Number)-4):]+
						" is held by another member in the database", "institutions", i, "members", j, "accounts", k, "number"))
				}
			}
		}
	}
	if len(faults) > 0 {
		return &ProvisionError{Faults: faults}
	}
	return nil
}

// exists reports whether a row of model matches the condition.
func exists(tx *gorm.DB, model any, query string, args ...any) (bool, error) {
	var n int64
	err := tx.Model(model).Where(query, args...).Limit(1).Count(&n).Error
	return n > 0, err
}

func (s *Store) provisionInstitution(ctx context.Context, tx *gorm.DB, spec *InstitutionSpec, seed bool, progress Progress) error {
	fi := models.Institution{
		ID: spec.ID, Name: spec.Name,
		UsernameMin: models.DefaultUsernameMin, UsernameMax: models.DefaultUsernameMax,
		PasswordMin: models.DefaultPasswordMin, PasswordMax: models.DefaultPasswordMax,
		DisclosureAcceptance: models.AcceptAtRegistration,
		MaxDestinations:      models.DefaultMaxDestinations, LockoutThreshold: models.DefaultLockoutThreshold,
		LockoutCooldown: int(models.DefaultLockoutCooldown / time.Second),
	}
	p := spec.Policy
	if p.DisclosureAcceptance != "" {
		fi.DisclosureAcceptance = p.DisclosureAcceptance
	}
	if p.UsernameLength != nil {
		fi.UsernameMin, fi.UsernameMax = p.UsernameLength.Min, p.UsernameLength.Max
	}
	if p.PasswordLength != nil {
		fi.PasswordMin, fi.PasswordMax = p.PasswordLength.Min, p.PasswordLength.Max
	}
	if p.MaxDestinations != nil {
		fi.MaxDestinations = *p.MaxDestinations
	}
	if p.LockoutThreshold != nil {
		fi.LockoutThreshold = *p.LockoutThreshold
	}
	if p.LockoutCooldown != nil {
		d, _ := time.ParseDuration(*p.LockoutCooldown) // checked by ParseProvisionFile
		fi.LockoutCooldown = int(d / time.Second)
	}
	found, err := exists(tx, &models.Institution{}, "id = ?", spec.ID)
	if err != nil {
		return Translate("find institution "+spec.ID, err)
	}
	if !seed || !found {
		if err := tx.Save(&fi).Error; err != nil {
			return Translate("provision institution "+spec.ID, err)
		}
	}
	if spec.Messaging != nil {
		if err := s.saveMessagingGateway(tx, spec.ID, spec.Messaging, seed); err != nil {
			return err
		}
	}
	changed := false
	for i := range spec.Disclosures {
		d := &spec.Disclosures[i]
		if seed {
			found, err := exists(tx, &models.Disclosure{}, "institution_id = ? AND (name = ? OR id = ?)", spec.ID, d.Name, strings.ToUpper(d.ID))
			if err != nil {
				return Translate("find disclosure "+d.Name, err)
			}
			if found {
				continue
			}
		}
		c, err := UpsertDisclosure(tx, spec.ID, d)
		if err != nil {
			return err
		}
		changed = changed || c
	}
	if changed {
		if err := RecomputeAcceptance(tx, spec.ID, ""); err != nil {
			return Translate("recompute disclosure acceptance", err)
		}
	}
	progress.Add(1)
	for i := range spec.Members {
		if err := s.provisionMember(ctx, tx, spec, &spec.Members[i], seed); err != nil {
			return err
		}
		progress.Add(1)
	}
	return nil
}

func (s *Store) provisionMember(ctx context.Context, tx *gorm.DB, fi *InstitutionSpec, spec *MemberSpec, seed bool) error {
	var m models.Member
	err := tx.Where("institution_id = ? AND member_number = ?", fi.ID, spec.MemberNumber).Take(&m).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		m = models.Member{InstitutionID: fi.ID, MemberNumber: spec.MemberNumber, Name: spec.Name}
		err = tx.Create(&m).Error
	case err == nil && !seed:
		err = tx.Model(&m).Update("name", spec.Name).Error
	}
	if err != nil {
		return Translate("provision member", err)
	}
	for i := range spec.Accounts {
		if err := s.provisionAccount(tx, fi.ID, m.ID, &spec.Accounts[i], seed); err != nil {
			return err
		}
	}
	for i := range spec.Users {
		if err := s.provisionUser(ctx, tx, fi, &m, &spec.Users[i], seed); err != nil {
			return err
		}
	}
	return nil
}

// minorUnits converts a checked decimal amount ("1234.5") into cents.
func minorUnits(v string) int64 {
	if v == "" {
		return 0
	}
	f, _ := strconv.ParseFloat(v, 64)
	return int64(math.Round(f * 100))
}

func (s *Store) provisionAccount(tx *gorm.DB, fiID string, memberID uint, spec *AccountSpec, seed bool) error {
	index := accountNumberField.indexOf(s.keys, fiID, spec.Number)
	var a models.Account
	err := tx.Where("institution_id = ? AND number_index = ?", fiID, index).Take(&a).Error
	isNew := errors.Is(err, gorm.ErrRecordNotFound)
	if err != nil && !isNew {
		return Translate("find account", err)
	}
	if seed && !isNew {
		return nil
	}
	if isNew {
		a.PublicID = spec.ID
		if a.PublicID == "" {
			if a.PublicID, err = secure.NewToken(); err != nil {
				return err
			}
		}
		a.InstitutionID = fiID
	} else if a.MemberID != memberID {
		return fmt.Errorf("provision account ending %s: belongs to another member: %w",
			secure.MaskLast4(spec.Number), models.ErrConflict)
	}
	// The number, its blind index (the same index for an account found by it) and last four.
	if err := accountNumberField.seal(s.keys, &a, spec.Number); err != nil {
		return err
	}
	cur := spec.Currency
	if cur == "" {
		cur = "USD"
	}
	a.MemberID = memberID
	a.Category, a.TypeValue, a.FIRawAccountType, a.FIAccountType = spec.Category, spec.Type, spec.FIRawAccountType, spec.FIAccountType
	a.TypeDescription, a.Description, a.NickName, a.PrimaryHolderName = spec.TypeDescription, spec.Description, spec.NickName, spec.HolderName
	a.CurrencyCode, a.CurrentBalanceMinor, a.AvailBalanceMinor = cur, minorUnits(spec.CurrentBalance), minorUnits(spec.AvailableBalance)
	a.RoutingNumber, a.Closed = spec.RoutingNumber, spec.Closed
	return Translate("save account", tx.Save(&a).Error)
}

func (s *Store) provisionUser(ctx context.Context, tx *gorm.DB, fi *InstitutionSpec, m *models.Member, spec *UserSpec, seed bool) error {
	var c models.Customer
	err := tx.Where("institution_id = ? AND login_id_norm = ?", fi.ID, rules.NormalizeUsername(spec.LoginID)).Take(&c).Error
	if err == nil && seed {
		return nil
	}
	if err == nil {
		// Already there: keep its state (lockout, flags); only a changed password is re-hashed.
		if ok, _, verr := s.verifyPassword(ctx, spec.Password, c.PasswordHash); verr == nil && ok {
			return nil
		}
		hash, herr := s.hashPassword(ctx, spec.Password)
		if herr != nil {
			return herr
		}
		return Translate("update user password", tx.Model(&c).Update("password_hash", hash).Error)
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return Translate("find user", err)
	}
	c, err = s.NewCustomer(ctx, fi.ID, m, NewCustomerInput{
		ID: spec.ID, LoginID: spec.LoginID, Password: spec.Password, FirstName: spec.FirstName, LastName: spec.LastName,
		Email: spec.Email, SSN: spec.SSN, BirthDate: spec.BirthDate, MotherMaidenName: spec.MotherMaidenName,
	})
	if err != nil {
		return err
	}
	if spec.InstitutionUserID != "" {
		c.InstitutionUserID = spec.InstitutionUserID
	}
	if spec.AuthID != "" {
		c.AuthID = spec.AuthID
	}
	c.Registered, c.AcceptedDisclosure = true, true
	if err := insertCustomer(tx, &c); err != nil {
		return Translate("create user", err)
	}
	if err := provisionContacts(tx, &c, spec); err != nil {
		return err
	}
	// A provisioned user was registered before this service knew it: record its acceptance of
	// the FI's current required disclosures, with the provisioning channel as the evidence.
	var required []models.Disclosure
	if err := tx.Where("institution_id = ? AND required = ? AND enabled = ?", fi.ID, true, true).Find(&required).Error; err != nil {
		return Translate("required disclosures", err)
	}
	for i := range required {
		err := recordUserDecision(tx, &UserDecision{Customer: &c, Disclosure: &required[i], Status: "ACCEPTED",
			Channel: models.ChannelProvisioning, At: time.Now().UTC()}, false)
		if err != nil {
			return Translate("record provisioned acceptance", err)
		}
	}
	return nil
}

func (s *Store) provisionClientApp(tx *gorm.DB, spec *ClientAppSpec, index int, seed bool) error {
	var app models.ClientApp
	err := tx.Where("client_id = ?", spec.ClientID).Take(&app).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return Translate("find client app", err)
	}
	if seed && err == nil {
		return nil
	}
	switch {
	case spec.SecretHash != "":
		app.SecretHash = spec.SecretHash
	default:
		// Keep the stored digest when it already is the current one for this secret, so a
		// reload changes nothing; otherwise (new app, new secret, older key or format) store
		// the keyed digest under the primary key.
		if ok, current := s.keys.VerifyClientSecret(spec.Secret, app.SecretHash); !ok || !current {
			if app.SecretHash, err = s.keys.HashClientSecret(spec.Secret); err != nil {
				return err
			}
		}
	}
	app.ClientID, app.Name, app.OfferingID = spec.ClientID, spec.Name, spec.OfferingID
	if app.Name == "" {
		app.Name = spec.ClientID
	}
	if app.OfferingID == "" {
		app.OfferingID = spec.ClientID
	}
	app.Grants, app.Scopes = strings.Join(spec.Grants, " "), strings.Join(spec.Scopes, " ")
	app.V1TokenTTL, app.V2TokenTTL, app.RefreshTokenTTL = orDefault(spec.TokenLifetimes.V1, models.DefaultV1TokenTTL),
		orDefault(spec.TokenLifetimes.V2, models.DefaultV2TokenTTL), orDefault(spec.TokenLifetimes.Refresh, models.DefaultRefreshTokenTTL)
	app.Quota, app.SpikeArrest = spec.Limits.Quota, spec.Limits.SpikeArrest
	if err := tx.Omit("Institutions").Save(&app).Error; err != nil {
		return Translate("save client app "+spec.ClientID, err)
	}
	if err := tx.Where("client_app_id = ?", app.ID).Delete(&models.ClientAppInstitution{}).Error; err != nil {
		return Translate("reset client app institutions", err)
	}
	for j, fiID := range spec.Institutions {
		err := tx.Omit("Institution").Create(&models.ClientAppInstitution{ClientAppID: app.ID, InstitutionID: fiID}).Error
		if err != nil {
			if errors.Is(err, gorm.ErrForeignKeyViolated) {
				return &ProvisionError{Faults: []Fault{{Field: fmt.Sprintf("clientApps[%d].institutions[%d]", index, j),
					Msg: "institution " + fiID + " does not exist"}}}
			}
			return Translate("link client app", err)
		}
	}
	return nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// provisionContacts stores a provisioned user's addresses and phones, each phone as a validated
// VOICE and SMS contact method, and the email as a validated EMAIL one.
func provisionContacts(tx *gorm.DB, c *models.Customer, spec *UserSpec) error {
	var addresses []models.CustomerAddress
	for i, ad := range spec.Addresses {
		country := strings.ToUpper(ad.Country)
		if country == "" {
			country = "US"
		}
		addresses = append(addresses, models.CustomerAddress{CustomerID: c.ID, Position: i, Address1: ad.Address1,
			Address2: ad.Address2, City: ad.City, State: ad.State, PostalCode: ad.PostalCode, Country: country})
	}
	var phones []models.CustomerPhone
	var destinations []models.Destination
	for i, ph := range spec.Phones {
		cc := ph.CountryCode
		if cc == "" {
			cc = "1"
		}
		phones = append(phones, models.CustomerPhone{CustomerID: c.ID, Position: i, Number: ph.Number, CountryCode: cc})
		for _, protocol := range []string{"VOICE", "SMS"} {
			destinations = append(destinations, models.Destination{CustomerID: c.ID, Position: len(destinations),
				ContactInfo: ph.Number, CountryCode: cc, Protocol: protocol, Activated: true, Validated: true})
		}
	}
	if spec.Email != "" {
		destinations = append(destinations, models.Destination{CustomerID: c.ID, Position: len(destinations),
			ContactInfo: spec.Email, Protocol: "EMAIL", Activated: true, Validated: true})
	}
	if err := createAll(tx, addresses); err != nil {
		return Translate("create user addresses", err)
	}
	if err := createAll(tx, phones); err != nil {
		return Translate("create user phones", err)
	}
	return Translate("create user contact methods", createAll(tx, destinations))
}
