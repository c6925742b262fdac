package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/tenure-loyalty/tenure"
	"github.com/tenure-loyalty/tenure/config"
	"github.com/tenure-loyalty/tenure/secret"
	"github.com/tenure-loyalty/tenure/storage"
)

// useSecretKey gives db the keys its stored secrets are sealed with, and seals any secret
// still in clear text (a database from before sealing) or under an older key.
func useSecretKey(ctx context.Context, db *storage.DB, keys string, log *slog.Logger) error {
	if keys != "" {
		ring, err := secret.Parse(keys)
		if err != nil {
			return fmt.Errorf("TENURE_SECRET_KEY: %w", err)
		}
		db.SetKeyring(ring)
	} else if db.KeyFile() == "" {
		return errors.New("TENURE_SECRET_KEY is required with PostgreSQL: it seals the widget and webhook secrets stored in the database. " +
			"Make one with `tenure secrets generate`, give every node the same value (or TENURE_SECRET_KEY_FILE), and keep it apart from database backups")
	}
	n, err := db.ResealSecrets(ctx)
	if err != nil {
		return fmt.Errorf("stored secrets: %w", err)
	}
	if n > 0 {
		log.Info("sealed stored secrets with the current key", "count", n)
	}
	return nil
}

// Rotation is what RotateSecretKey did.
type Rotation struct {
	Sealed int    // stored secrets sealed again
	KeyID  string // the current key's id
	File   string // the key file rewritten, "" when the key came from TENURE_SECRET_KEY
}

// RotateSecretKey seals every stored secret under a new current key. With
// TENURE_SECRET_KEY the operator supplies the new key first ("NEW,OLD"): everything is
// sealed under NEW, after which OLD can be dropped. With an SQLite key file it makes the new
// key itself: it writes the file as "NEW OLD" first, re-seals, then drops OLD, so an
// interruption at any point leaves a file that opens every stored secret. Processes serving
// the database keep the keys they started with: stop them first.
func RotateSecretKey(ctx context.Context, cfg config.Config, log *slog.Logger) (Rotation, error) {
	var r Rotation
	db, err := storage.Open(ctx, cfg.DatabaseURL, tenure.SystemClock{}, log)
	if err != nil {
		return r, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return r, err
	}
	if cfg.SecretKey != "" {
		ring, err := secret.Parse(cfg.SecretKey)
		if err != nil {
			return r, fmt.Errorf("TENURE_SECRET_KEY: %w", err)
		}
		db.SetKeyring(ring)
		r.Sealed, err = db.ResealSecrets(ctx)
		r.KeyID = ring.ID()
		return r, err
	}
	r.File = db.KeyFile()
	if r.File == "" {
		return r, errors.New("TENURE_SECRET_KEY is not set: with PostgreSQL, set it to \"NEW,OLD\" (make NEW with `tenure secrets generate`) and run this again")
	}
	raw, err := os.ReadFile(r.File)
	if err != nil {
		return r, fmt.Errorf("the key file: %w (was the database ever started?)", err)
	}
	next := secret.Generate()
	if err := secret.WriteFile(r.File, append([]string{next}, strings.Fields(string(raw))...)...); err != nil {
		return r, err
	}
	ring, err := secret.LoadFile(r.File)
	if err != nil {
		return r, err
	}
	db.SetKeyring(ring)
	r.KeyID = ring.ID()
	if r.Sealed, err = db.ResealSecrets(ctx); err != nil {
		return r, fmt.Errorf("%w (the key file keeps the old key beside the new one; run the command again)", err)
	}
	return r, secret.WriteFile(r.File, next)
}
