package service

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/seal"
	"github.com/berthdev/berth/store"
)

// Org is the one organization a berth deployment serves, with its API
// credentials and keys. The client secret signs webhooks (spec 8.2), so it
// is kept in the store; it is never logged.
type Org struct {
	ID           string
	ClientID     string
	ClientSecret string
	// TokenKey signs access tokens; shared by every instance of the store.
	TokenKey []byte
	// SecretsKey seals organization secrets and the payloads that hold
	// them (BERTH_SECRETS_KEY, or generated and stored on first start).
	SecretsKey *seal.Key
	// GeneratedCredentials is true when this start generated the
	// credentials, so the caller prints them once.
	GeneratedCredentials bool
}

// OrgConfig are the organization settings given at start-up; empty fields
// are taken from the store, or generated and stored on first start.
type OrgConfig struct {
	ID           string // BERTH_ORG_ID
	ClientID     string // BERTH_CLIENT_ID
	ClientSecret string // BERTH_CLIENT_SECRET
	SecretsKey   string // BERTH_SECRETS_KEY: never stored
}

// Setting keys of the organization.
const (
	settingOrgID        = "org_id"
	settingClientID     = "client_id"
	settingClientSecret = "client_secret"
	settingTokenKey     = "token_key"
)

// LoadOrg returns the organization, storing given or generated ids, secrets
// and keys so that they survive restarts and are shared by instances.
func LoadOrg(ctx context.Context, db *store.DB, cfg OrgConfig) (*Org, error) {
	org := &Org{}
	err := db.Write(ctx, func(q *store.Queries) error {
		var err error
		if org.ID, err = keep(ctx, q, settingOrgID, cfg.ID, berth.NewID("org_", 16)); err != nil {
			return err
		}
		_, hadID, err := q.Setting(ctx, settingClientID)
		if err != nil {
			return err
		}
		org.GeneratedCredentials = !hadID && cfg.ClientID == ""
		if org.ClientID, err = keep(ctx, q, settingClientID, cfg.ClientID, berth.RandomSecret(32)); err != nil {
			return err
		}
		if org.ClientSecret, err = keep(ctx, q, settingClientSecret, cfg.ClientSecret, berth.RandomSecret(64)); err != nil {
			return err
		}
		key, err := keep(ctx, q, settingTokenKey, "", base64.StdEncoding.EncodeToString([]byte(berth.RandomSecret(48))))
		if err != nil {
			return err
		}
		if org.TokenKey, err = base64.StdEncoding.DecodeString(key); err != nil {
			return err
		}
		org.SecretsKey, err = loadSecretsKey(ctx, q, cfg.SecretsKey)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("loading the organization: %w", err)
	}
	return org, nil
}

// keep returns the value to use for a setting: the configured one (stored,
// replacing an older value) when given, else the stored one, else generated
// (and stored).
func keep(ctx context.Context, q *store.Queries, key, configured, generated string) (string, error) {
	if configured != "" {
		return configured, q.SetSetting(ctx, key, configured)
	}
	return q.SetSettingOnce(ctx, key, generated)
}
