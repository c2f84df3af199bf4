package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/berthdev/berth/seal"
	"github.com/berthdev/berth/store"
)

// Setting keys of the secrets key: the generated key (only when
// BERTH_SECRETS_KEY is not given) and the fingerprint of the key the store's
// secrets are sealed with.
const (
	settingSecretsKey      = "secrets_key"
	settingSecretsKeyCheck = "secrets_key_check"
)

// loadSecretsKey returns the key that seals organization secrets and run
// payloads. A configured key (BERTH_SECRETS_KEY) is never stored; without
// one a key is generated on first start and kept in the store. Either way
// the store keeps the key's fingerprint, so a start with a different key is
// refused rather than failing to open every secret later.
func loadSecretsKey(ctx context.Context, q *store.Queries, configured string) (*seal.Key, error) {
	check, hasCheck, err := q.Setting(ctx, settingSecretsKeyCheck)
	if err != nil {
		return nil, err
	}
	text := configured
	if text == "" {
		stored, ok, err := q.Setting(ctx, settingSecretsKey)
		switch {
		case err != nil:
			return nil, err
		case !ok && hasCheck:
			return nil, errors.New("BERTH_SECRETS_KEY is not set, but this store's secrets were sealed with it: set it again")
		case !ok:
			if stored, err = q.SetSettingOnce(ctx, settingSecretsKey, seal.GenerateKey()); err != nil {
				return nil, err
			}
		}
		text = stored
	}
	key, err := seal.ParseKey(text)
	if err != nil {
		return nil, fmt.Errorf("BERTH_SECRETS_KEY: %w", err)
	}
	switch {
	case !hasCheck:
		_, err = q.SetSettingOnce(ctx, settingSecretsKeyCheck, key.Check())
	case check != key.Check():
		err = errors.New("BERTH_SECRETS_KEY is not the key this store's secrets were sealed with")
	}
	return key, err
}
