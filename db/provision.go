package db

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
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
	inFileApps := map[string]bool{}
	for _, app := range pf.ClientApps {
		inFileApps[app.ClientID] = true
	}
	for i, app := range pf.ClientApps {
		for j, id := range app.CodePartners {
			if inFileApps[id] {
				continue // checked with the file
			}
			var partner models.ClientApp
			err := tx.Where("client_id = ?", id).Take(&partner).Error
			switch {
			case errors.Is(err, gorm.ErrRecordNotFound):
				faults = append(faults, pf.fault("client app "+id+" is neither in this file nor in the database", "clientApps", i, "codePartners", j))
			case err != nil:
				return Translate("find client app "+id, err)
			case !slices.Contains(strings.Fields(partner.Grants), "authorization_code"):
				faults = append(faults, pf.fault("client app "+id+" lacks the authorization_code grant", "clientApps", i, "codePartners", j))
			}
		}
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
				for l, t := range a.Transactions {
					if t.ID == "" {
						continue
					}
					var holder struct{ NumberIndex, Number string }
					err := tx.Model(&models.Transaction{}).Select("accounts.number_index, transactions.number").
						Joins("JOIN accounts ON accounts.id = transactions.account_id").
						Where("transactions.public_id = ?", t.ID).Limit(1).Scan(&holder).Error
					if err != nil {
						return Translate("find transaction", err)
					}
					if holder.NumberIndex != "" && (holder.NumberIndex != accountNumberField.indexOf(s.keys, fi.ID, a.Number) || holder.Number != t.Number) {
						faults = append(faults, pf.fault("the database holds this transaction id for another transaction",
							"institutions", i, "members", j, "accounts", k, "transactions", l, "id"))
					}
				}
				if seed {
					continue // seeding leaves existing accounts alone
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
	if !seed {
		more, err := userRoleFaults(tx, pf)
		if err != nil {
			return err
		}
		faults = append(faults, more...)
	}
	if len(faults) > 0 {
		return &ProvisionError{Faults: faults}
	}
	return nil
}

// userRoleFaults reports users of the file that the database holds in another place: under
// another member, or as a sub-user where the file has a PRIMARY user (and the reverse), or as
// another user's sub-user. Applying the file would otherwise leave them where they are.
func userRoleFaults(tx *gorm.DB, pf *ProvisionFile) ([]Fault, error) {
	var faults []Fault
	check := func(fiID, member string, u *UserSpec, parentLogin string, path ...any) error {
		var held struct {
			UserType, MemberNumber string
			ParentLogin            *string
		}
		err := tx.Table("customers").Select("customers.user_type, members.member_number, parents.login_id_norm AS parent_login").
			Joins("JOIN members ON members.id = customers.member_id").
			Joins("LEFT JOIN customers parents ON parents.id = customers.parent_id").
			Where("customers.institution_id = ? AND customers.login_id_norm = ?", fiID, rules.NormalizeUsername(u.LoginID)).
			Limit(1).Scan(&held).Error
		if err != nil || held.UserType == "" {
			return Translate("find user", err)
		}
		role, heldParent := models.RolePrimary, ""
		if parentLogin != "" {
			role = models.RoleEntitled
		}
		if held.ParentLogin != nil {
			heldParent = *held.ParentLogin
		}
		if held.MemberNumber != member || held.UserType != role || heldParent != rules.NormalizeUsername(parentLogin) {
			faults = append(faults, pf.fault("the database holds this login id for another member, role or parent user", append(path, "loginId")...))
		}
		return nil
	}
	for i, fi := range pf.Institutions {
		for j, m := range fi.Members {
			for k := range m.Users {
				u := &m.Users[k]
				if err := check(fi.ID, m.MemberNumber, u, "", "institutions", i, "members", j, "users", k); err != nil {
					return nil, err
				}
				for l := range u.SubUsers {
					err := check(fi.ID, m.MemberNumber, &u.SubUsers[l], u.LoginID, "institutions", i, "members", j, "users", k, "subUsers", l)
					if err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return faults, nil
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
		DocumentKey:     spec.DocumentKey,
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
	switch {
	case !seed || !found:
		if err := tx.Save(&fi).Error; err != nil {
			return Translate("provision institution "+spec.ID, err)
		}
	case spec.DocumentKey != "":
		// Seeding adds what is missing: a document key the stored FI does not have yet.
		err := tx.Model(&models.Institution{}).Where("id = ? AND document_key = ?", spec.ID, "").Update("document_key", spec.DocumentKey).Error
		if err != nil {
			return Translate("provision document key "+spec.ID, err)
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
		m = models.Member{InstitutionID: fi.ID, MemberNumber: spec.MemberNumber, Name: spec.Name, BillPayLoginID: spec.BillPayLoginID}
		err = tx.Create(&m).Error
	case err == nil && !seed:
		err = tx.Model(&m).Updates(map[string]any{"name": spec.Name, "bill_pay_login_id": spec.BillPayLoginID}).Error
	case err == nil && m.BillPayLoginID == "" && spec.BillPayLoginID != "":
		err = tx.Model(&m).Update("bill_pay_login_id", spec.BillPayLoginID).Error // seeding adds what is missing
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
		u := &spec.Users[i]
		primary, err := s.provisionUser(ctx, tx, fi, &m, u, nil, seed)
		if err != nil {
			return err
		}
		for j := range u.SubUsers {
			if _, err := s.provisionUser(ctx, tx, fi, &m, &u.SubUsers[j], primary, seed); err != nil {
				return err
			}
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
		return s.provisionTransactions(tx, &a, spec.Transactions, seed) // seeding adds what is missing
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
	if err := tx.Save(&a).Error; err != nil {
		return Translate("save account", err)
	}
	return s.provisionTransactions(tx, &a, spec.Transactions, seed)
}

// provisionTransactions upserts an account's transactions by number; seeding only adds the
// missing ones. Transactions the file does not list are left as they are.
func (s *Store) provisionTransactions(tx *gorm.DB, a *models.Account, specs []TransactionSpec, seed bool) error {
	for i := range specs {
		spec := &specs[i]
		var t models.Transaction
		err := tx.Where("account_id = ? AND number = ?", a.ID, spec.Number).Take(&t).Error
		isNew := errors.Is(err, gorm.ErrRecordNotFound)
		if err != nil && !isNew {
			return Translate("find transaction", err)
		}
		if seed && !isNew {
			continue
		}
		if spec.ID != "" {
			t.PublicID = spec.ID
		} else if isNew {
			if t.PublicID, err = secure.NewToken(); err != nil {
				return err
			}
		}
		cur := spec.Currency
		if cur == "" {
			cur = a.CurrencyCode
		}
		effective := spec.EffectiveDate
		if effective == "" {
			effective = spec.TransactionDate
		}
		t.AccountID, t.InstitutionID, t.Number, t.Type = a.ID, a.InstitutionID, spec.Number, spec.Type
		t.AmountMinor, t.CurrencyCode, t.Credit = minorUnits(spec.Amount), cur, slices.Contains(models.CreditTransactionTypes, spec.Type)
		t.Description, t.TransactionDate, t.EffectiveDate, t.Pending = spec.Description, spec.TransactionDate, effective, spec.Pending
		if err := tx.Omit("Account").Save(&t).Error; err != nil {
			return Translate("save transaction", err)
		}
	}
	return nil
}

// provisionUser inserts or updates a user of member m: a PRIMARY user when parent is nil, else an
// ENTITLED sub-user of parent. It returns the stored user.
func (s *Store) provisionUser(ctx context.Context, tx *gorm.DB, fi *InstitutionSpec, m *models.Member, spec *UserSpec,
	parent *models.Customer, seed bool) (*models.Customer, error) {
	var c models.Customer
	err := tx.Where("institution_id = ? AND login_id_norm = ?", fi.ID, rules.NormalizeUsername(spec.LoginID)).Take(&c).Error
	if err == nil && seed {
		return &c, nil
	}
	if err == nil {
		// Already there: keep its state (lockout, flags); only a changed password is re-hashed.
		if ok, _, verr := s.verifyPassword(ctx, spec.Password, c.PasswordHash); verr == nil && ok {
			return &c, nil
		}
		hash, herr := s.hashPassword(ctx, spec.Password)
		if herr != nil {
			return nil, herr
		}
		return &c, Translate("update user password", tx.Model(&c).Update("password_hash", hash).Error)
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, Translate("find user", err)
	}
	c, err = s.NewCustomer(ctx, fi.ID, m, NewCustomerInput{
		ID: spec.ID, LoginID: spec.LoginID, Password: spec.Password, FirstName: spec.FirstName, LastName: spec.LastName,
		Email: spec.Email, SSN: spec.SSN, BirthDate: spec.BirthDate, MotherMaidenName: spec.MotherMaidenName,
	})
	if err != nil {
		return nil, err
	}
	if spec.InstitutionUserID != "" {
		c.InstitutionUserID = spec.InstitutionUserID
	}
	if spec.AuthID != "" {
		c.AuthID = spec.AuthID
	}
	if parent != nil {
		c.UserType, c.ParentID = models.RoleEntitled, &parent.ID
	}
	c.Registered, c.AcceptedDisclosure = true, true
	if err := insertCustomer(tx, &c); err != nil {
		return nil, Translate("create user", err)
	}
	if err := provisionContacts(tx, &c, spec); err != nil {
		return nil, err
	}
	// A provisioned user was registered before this service knew it: record its acceptance of
	// the FI's current required disclosures, with the provisioning channel as the evidence.
	var required []models.Disclosure
	if err := tx.Where("institution_id = ? AND required = ? AND enabled = ?", fi.ID, true, true).Find(&required).Error; err != nil {
		return nil, Translate("required disclosures", err)
	}
	for i := range required {
		err := writeUserDecision(tx, &UserDecision{Customer: &c, Disclosure: &required[i], Status: "ACCEPTED",
			Channel: models.ChannelProvisioning, At: time.Now().UTC()}, false, true)
		if err != nil {
			return nil, Translate("record provisioned acceptance", err)
		}
	}
	if err := RecomputeAcceptance(tx, fi.ID, c.ID); err != nil {
		return nil, Translate("record provisioned acceptance", err)
	}
	return &c, nil
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
	replaced := false // the file names another secret than the stored one
	switch {
	case spec.SecretHash != "":
		replaced = spec.SecretHash != app.SecretHash
		app.SecretHash = spec.SecretHash
	default:
		// Keep the stored digest when it already is the current one for this secret, so a
		// reload changes nothing; otherwise (new app, new secret, older key or format) store
		// the keyed digest under the primary key.
		ok, current := s.keys.VerifyClientSecret(spec.Secret, app.SecretHash)
		if !ok || !current {
			if app.SecretHash, err = s.keys.HashClientSecret(spec.Secret); err != nil {
				return err
			}
		}
		replaced = !ok
	}
	if replaced {
		// The file's secret is the app's only one: a secret kept by a rotation ends. (Whether
		// the app is disabled is not the file's to say: that stays as it is.)
		app.PreviousSecretHash, app.PreviousSecretExpiresAt = "", nil
	}
	app.ClientID, app.Name, app.OfferingID = spec.ClientID, spec.Name, spec.OfferingID
	if app.Name == "" {
		app.Name = spec.ClientID
	}
	if app.OfferingID == "" {
		app.OfferingID = spec.ClientID
	}
	app.Grants, app.Scopes = strings.Join(spec.Grants, " "), strings.Join(spec.Scopes, " ")
	app.RedirectURI, app.CodePartners = spec.RedirectURI, strings.Join(spec.CodePartners, " ")
	app.SecondaryAuthentication, app.ConsentRequired, app.DeviceRegistration = false, false, false
	if f := spec.AuthorizationFlow; f != nil {
		app.SecondaryAuthentication, app.ConsentRequired, app.DeviceRegistration = f.SecondaryAuthentication, f.Consent, f.DeviceRegistration
	}
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
