package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/berthdev/berth"
)

func nowString() string { return berth.FormatTime(time.Now()) }

// Setting returns the value stored under key, and whether there is one.
func (q *Queries) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := q.queryRow(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// SetSettingOnce stores value under key unless a value is there already, and
// returns the value that is stored afterwards. Instances that start together
// therefore agree on generated ids and keys.
func (q *Queries) SetSettingOnce(ctx context.Context, key, value string) (string, error) {
	if _, err := q.exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, value); err != nil {
		return "", err
	}
	v, _, err := q.Setting(ctx, key)
	return v, err
}

// SetSetting stores value under key, replacing any value there.
func (q *Queries) SetSetting(ctx context.Context, key, value string) error {
	_, err := q.exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
	return err
}
