package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/tenure-loyalty/tenure/secret"
)

// secretColumns lists every column holding a credential Tenure must read back in clear
// (it signs with it or sends it). Each is stored sealed (see package secret) through
// tx.seal and read through tx.unseal; a new credential column, such as a payment or mail
// provider's key, is added here so that start-up sealing and key rotation cover it.
var secretColumns = []struct{ table, id, column string }{
	{"widget_settings", "tenant_id", "secret"},
	{"webhooks", "id", "secret"},
	{"shop_connections", "id", "webhook_secret"},
	{"shop_connections", "id", "api_key"},
	{"shop_connections", "id", "api_secret"},
}

// keys holds the database's keyring: the one given with SetKeyring, or for SQLite, the
// key file beside the database, created on first need.
type keys struct {
	mu   sync.Mutex
	ring *secret.Keyring
	file string // SQLite: <database>.key
}

// KeyFile returns the key file an SQLite database uses when no key is given ("" for
// PostgreSQL).
func (db *DB) KeyFile() string { return db.keys.file }

// SetKeyring sets the keys stored secrets are sealed with (the first) and opened with.
func (db *DB) SetKeyring(k *secret.Keyring) {
	db.keys.mu.Lock()
	db.keys.ring = k
	db.keys.mu.Unlock()
}

// Keyring returns the database's keyring. Without one set, an SQLite database uses its
// key file (<database>.key, mode 0600), creating it with a new key if it does not exist;
// PostgreSQL has no place beside it to keep a key, so it is an error.
func (db *DB) Keyring() (*secret.Keyring, error) {
	db.keys.mu.Lock()
	defer db.keys.mu.Unlock()
	if db.keys.ring != nil {
		return db.keys.ring, nil
	}
	if db.keys.file == "" {
		return nil, errors.New("no secret key: set TENURE_SECRET_KEY (make one with `tenure secrets generate`)")
	}
	ring, created, err := secret.LoadOrCreateFile(db.keys.file)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if created {
		db.log.Info("created the secret key file; back it up with the database", "file", db.keys.file)
	}
	db.keys.ring = ring
	return ring, nil
}

func secretContext(table, column, id string) string { return table + "." + column + ":" + id }

// seal encrypts a credential for storage in table.column of row id.
func (tx *Tx) seal(table, column, id, plain string) (string, error) {
	ring, err := tx.db.Keyring()
	if err != nil {
		return "", err
	}
	return ring.Seal(plain, secretContext(table, column, id)), nil
}

// unseal decrypts a stored credential of table.column in row id. Clear text stored before
// sealing existed is returned as it is (ResealSecrets seals it at start).
func (tx *Tx) unseal(table, column, id, stored string) (string, error) {
	if !secret.IsSealed(stored) {
		return stored, nil
	}
	ring, err := tx.db.Keyring()
	if err != nil {
		return "", err
	}
	plain, _, err := ring.Open(stored, secretContext(table, column, id))
	return plain, err
}

// ResealSecrets seals every stored credential that is in clear text or sealed under an
// older key with the current key, in one transaction, and returns how many it changed.
// It runs at start (so a database from before sealing is sealed) and rotates keys.
func (db *DB) ResealSecrets(ctx context.Context) (int, error) {
	ring, err := db.Keyring()
	if err != nil {
		return 0, err
	}
	n := 0
	err = db.Write(ctx, func(tx *Tx) error {
		n = 0
		for _, c := range secretColumns {
			rows, err := tx.tx.QueryContext(ctx, `SELECT `+c.id+`, `+c.column+` FROM `+c.table+` ORDER BY `+c.id+tx.d.forUpdate)
			if err != nil {
				return err
			}
			type row struct{ id, stored string }
			var todo []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.stored); err != nil {
					rows.Close()
					return err
				}
				todo = append(todo, r)
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return err
			}
			for _, r := range todo {
				ctxt := secretContext(c.table, c.column, r.id)
				plain, current, err := ring.Open(r.stored, ctxt)
				if err != nil {
					return fmt.Errorf("%s of %s: %w", c.table, r.id, err)
				}
				if current {
					continue
				}
				if _, err := tx.tx.ExecContext(ctx, `UPDATE `+c.table+` SET `+c.column+` = $1 WHERE `+c.id+` = $2`, ring.Seal(plain, ctxt), r.id); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}

// restrictFile makes an SQLite file readable by its owner only (the database holds
// hashes, member data and sealed secrets; its key file sits beside it).
func restrictFile(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return os.Chmod(path, fi.Mode().Perm()&0o700)
	}
	return nil
}
