package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
	"gorm.io/gorm"

	"github.com/custreg/custreg/models"
	"github.com/custreg/custreg/secure"
)

// ClientApp returns the app with the given client id and the FIs it may act for.
func (s *Store) ClientApp(ctx context.Context, clientID string) (*models.ClientApp, error) {
	var app models.ClientApp
	err := s.db.WithContext(ctx).Preload("Institutions").Where("client_id = ?", clientID).Take(&app).Error
	if err != nil {
		return nil, Translate("get client app", err)
	}
	return &app, nil
}

// ClientAppOwner returns an app by its client id without its institutions: the columns that say
// whose it is.
func (s *Store) ClientAppOwner(ctx context.Context, clientID string) (*models.ClientApp, error) {
	var app models.ClientApp
	err := s.db.WithContext(ctx).Select("id", "client_id", "developer_id").Where("client_id = ?", clientID).Take(&app).Error
	if err != nil {
		return nil, Translate("get client app", err)
	}
	return &app, nil
}

// ClientAppByID returns an app by its row id.
func (s *Store) ClientAppByID(ctx context.Context, id uint) (*models.ClientApp, error) {
	var app models.ClientApp
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&app).Error; err != nil {
		return nil, Translate("get client app", err)
	}
	return &app, nil
}

// ReplaceClientSecretHash swaps an app's stored secret hash for a new one (an upgrade to the
// current key or format) unless it changed meanwhile, e.g. by a concurrent upgrade or rotation.
func (s *Store) ReplaceClientSecretHash(ctx context.Context, appID uint, old, replacement string) error {
	return Translate("replace client secret hash", s.db.WithContext(ctx).Model(&models.ClientApp{}).
		Where("id = ? AND secret_hash = ?", appID, old).Update("secret_hash", replacement).Error)
}

// NewClientApp is a client app to create (custreg apps create, the developer portal). Its
// rules are the provisioning file's.
type NewClientApp struct {
	ClientID     string // the Shared Key; "" makes one ("app-" and 32 hex digits)
	Name         string // "" takes the client id
	OfferingID   string // "" takes the client id
	Institutions []string
	Grants       []string
	Scopes       []string
	RedirectURI  string // partner apps (grant authorization_code) only
	DeveloperID  string // the portal account it belongs to; "" for an operator's app
}

// MaxDeveloperApps bounds the apps one portal account may hold, disabled ones included.
const MaxDeveloperApps = 20

// ErrTooManyApps means the portal account already holds MaxDeveloperApps apps.
var ErrTooManyApps = errors.New("too many client apps")

// CreateClientApp creates an app with a fresh random secret, stored only as a keyed digest, and
// returns the app with the secret: it cannot be shown again. A client id already taken is
// models.ErrConflict; a spec breaking the provisioning file's rules is a *ProvisionError whose
// fields are the spec's (name, grants[1], …).
func (s *Store) CreateClientApp(ctx context.Context, spec NewClientApp) (*models.ClientApp, string, error) {
	if spec.ClientID == "" {
		id, err := secure.NewID32()
		if err != nil {
			return nil, "", err
		}
		spec.ClientID = "app-" + id
	}
	secret, err := secure.NewToken()
	if err != nil {
		return nil, "", err
	}
	file := &ProvisionFile{ClientApps: []ClientAppSpec{{ClientID: spec.ClientID, Secret: secret, Name: spec.Name,
		OfferingID: spec.OfferingID, Institutions: spec.Institutions, Grants: spec.Grants, Scopes: spec.Scopes,
		RedirectURI: spec.RedirectURI}}}
	c := checker{root: &yaml.Node{}}
	c.check(file)
	if len(c.faults) > 0 {
		return nil, "", specFaults(c.faults)
	}
	hash, err := s.keys.HashClientSecret(secret)
	if err != nil {
		return nil, "", err
	}
	app := &models.ClientApp{ClientID: spec.ClientID, SecretHash: hash, Name: spec.Name, OfferingID: spec.OfferingID,
		Grants: strings.Join(spec.Grants, " "), Scopes: strings.Join(spec.Scopes, " "), RedirectURI: spec.RedirectURI,
		V1TokenTTL: models.DefaultV1TokenTTL, V2TokenTTL: models.DefaultV2TokenTTL, RefreshTokenTTL: models.DefaultRefreshTokenTTL,
		DeveloperID: spec.DeveloperID}
	if app.Name == "" {
		app.Name = spec.ClientID
	}
	if app.OfferingID == "" {
		app.OfferingID = spec.ClientID
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.checkReferences(tx, file, false); err != nil {
			var pe *ProvisionError
			if errors.As(err, &pe) {
				return specFaults(pe.Faults)
			}
			return err
		}
		if spec.DeveloperID != "" {
			var held int64
			if err := tx.Model(&models.ClientApp{}).Where("developer_id = ?", spec.DeveloperID).Count(&held).Error; err != nil {
				return Translate("count client apps", err)
			}
			if held >= MaxDeveloperApps {
				return ErrTooManyApps
			}
		}
		if err := tx.Omit("Institutions").Create(app).Error; err != nil {
			return Translate("create client app "+spec.ClientID, err)
		}
		for _, fiID := range spec.Institutions {
			link := models.ClientAppInstitution{ClientAppID: app.ID, InstitutionID: fiID}
			if err := tx.Omit("Institution").Create(&link).Error; err != nil {
				return Translate("link client app", err)
			}
			app.Institutions = append(app.Institutions, link)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return app, secret, nil
}

// specFaults turns the faults of a one-app provisioning file into faults of the app itself.
func specFaults(faults []Fault) *ProvisionError {
	out := make([]Fault, len(faults))
	for i, f := range faults {
		out[i] = Fault{Field: strings.TrimPrefix(f.Field, "clientApps[0]."), Msg: f.Msg}
	}
	return &ProvisionError{Faults: out}
}

// ClientAppListing is a client app as listed, with the portal account that owns it.
type ClientAppListing struct {
	models.ClientApp
	DeveloperEmail string // "" for an operator's app
}

// ClientApps lists the apps, oldest first, with their FIs: every app when developerID is "",
// else the portal account's.
func (s *Store) ClientApps(ctx context.Context, developerID string) ([]ClientAppListing, error) {
	q := s.db.WithContext(ctx).Preload("Institutions").Order("id")
	if developerID != "" {
		q = q.Where("developer_id = ?", developerID)
	}
	var apps []models.ClientApp
	if err := q.Find(&apps).Error; err != nil {
		return nil, Translate("list client apps", err)
	}
	emails := map[string]string{}
	var ids []string
	for _, a := range apps {
		if a.DeveloperID != "" {
			ids = append(ids, a.DeveloperID)
		}
	}
	if len(ids) > 0 {
		var devs []models.Developer
		if err := s.db.WithContext(ctx).Select("id", "email").Where("id IN ?", ids).Find(&devs).Error; err != nil {
			return nil, Translate("list client app owners", err)
		}
		for _, d := range devs {
			emails[d.ID] = d.Email
		}
	}
	out := make([]ClientAppListing, len(apps))
	for i, a := range apps {
		out[i] = ClientAppListing{ClientApp: a, DeveloperEmail: emails[a.DeveloperID]}
	}
	return out, nil
}

// RotateClientSecret gives the app a fresh random secret and returns it (it cannot be shown
// again). The secret it replaces keeps working for grace (none when grace is 0), then never
// again; a secret kept from an earlier rotation ends now. A disabled app is
// models.ErrClientAppDisabled; a rotation racing another is models.ErrConflict.
func (s *Store) RotateClientSecret(ctx context.Context, clientID string, grace time.Duration, now time.Time) (*models.ClientApp, string, error) {
	app, err := s.ClientApp(ctx, clientID)
	if err != nil {
		return nil, "", err
	}
	if app.DisabledAt != nil {
		return nil, "", fmt.Errorf("rotate client secret: %w", models.ErrClientAppDisabled)
	}
	secret, err := secure.NewToken()
	if err != nil {
		return nil, "", err
	}
	hash, err := s.keys.HashClientSecret(secret)
	if err != nil {
		return nil, "", err
	}
	previous, until := "", (*time.Time)(nil)
	if grace > 0 {
		t := now.Add(grace).UTC()
		previous, until = app.SecretHash, &t
	}
	res := s.db.WithContext(ctx).Model(&models.ClientApp{}).
		Where("id = ? AND secret_hash = ? AND disabled_at IS NULL", app.ID, app.SecretHash).
		Updates(map[string]any{"secret_hash": hash, "previous_secret_hash": previous, "previous_secret_expires_at": until, "updated_at": now})
	if res.Error != nil {
		return nil, "", Translate("rotate client secret", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, "", fmt.Errorf("rotate client secret: changed meanwhile: %w", models.ErrConflict)
	}
	app.SecretHash, app.PreviousSecretHash, app.PreviousSecretExpiresAt = hash, previous, until
	return app, secret, nil
}

// DisableResult says what DisableClientApp did.
type DisableResult struct {
	AlreadyDisabled bool
	RevokedTokens   int64
}

// DisableClientApp disables the app for good: its secrets stop authenticating, and every token
// it holds is revoked in the same transaction (SaveTokens refuses new ones, so a token request
// racing the disabling cannot leave a live token behind). Disabling a disabled app changes
// nothing.
func (s *Store) DisableClientApp(ctx context.Context, clientID string, now time.Time) (DisableResult, error) {
	var out DisableResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var app models.ClientApp
		if err := tx.Where("client_id = ?", clientID).Take(&app).Error; err != nil {
			return Translate("get client app", err)
		}
		if app.DisabledAt != nil {
			out.AlreadyDisabled = true
			return nil
		}
		err := tx.Model(&models.ClientApp{}).Where("id = ?", app.ID).
			Updates(map[string]any{"disabled_at": now.UTC(), "previous_secret_hash": "", "previous_secret_expires_at": nil, "updated_at": now}).Error
		if err != nil {
			return Translate("disable client app", err)
		}
		res := tx.Model(&models.Token{}).Where("client_app_id = ? AND revoked_at IS NULL", app.ID).Update("revoked_at", now.UTC())
		if res.Error != nil {
			return Translate("revoke client app tokens", res.Error)
		}
		out.RevokedTokens = res.RowsAffected
		return nil
	})
	return out, err
}
