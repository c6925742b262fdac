// Package secret encrypts credentials Tenure must keep readable (widget signing secrets,
// webhook signing secrets, provider credentials) before they are stored, with AES-256-GCM
// under a key the database does not hold. A keyring holds the current key, which seals,
// and older keys, which still open what they sealed until it is sealed again (rotation).
package secret

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// prefix marks a sealed value: "enc:v1:<key id>:<base64url(nonce || ciphertext)>".
const prefix = "enc:v1:"

// Keyring is a current key and the older keys still accepted for opening.
type Keyring struct {
	keys []key // keys[0] seals
}

type key struct {
	id   string
	aead cipher.AEAD
}

// Generate returns a new random key, base64-encoded, as TENURE_SECRET_KEY takes it.
func Generate() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

// Parse reads a keyring: base64 keys of 32 bytes separated by commas, spaces or newlines,
// the current key first.
func Parse(s string) (*Keyring, error) {
	var k Keyring
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		raw, err := base64.StdEncoding.DecodeString(f)
		if err != nil {
			raw, err = base64.RawStdEncoding.DecodeString(f)
		}
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("secret key %d is not the base64 of 32 bytes (make one with `tenure secrets generate`)", len(k.keys)+1)
		}
		block, _ := aes.NewCipher(raw)
		aead, _ := cipher.NewGCM(block)
		sum := sha256.Sum256(raw)
		k.keys = append(k.keys, key{id: hex.EncodeToString(sum[:4]), aead: aead})
	}
	if len(k.keys) == 0 {
		return nil, errors.New("no secret key given")
	}
	return &k, nil
}

// ID names the current key (a hash prefix, not the key), for logs and messages.
func (k *Keyring) ID() string { return k.keys[0].id }

// Seal encrypts plain under the current key. context binds the value to where it is
// stored (e.g. "webhooks.secret:whk_..."): a sealed value copied to another row does not
// open. The empty string stays empty (it means "none").
func (k *Keyring) Seal(plain, context string) string {
	if plain == "" {
		return ""
	}
	cur := k.keys[0]
	nonce := make([]byte, cur.aead.NonceSize(), cur.aead.NonceSize()+len(plain)+cur.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	out := cur.aead.Seal(nonce, nonce, []byte(plain), []byte(context))
	return prefix + cur.id + ":" + base64.RawURLEncoding.EncodeToString(out)
}

// IsSealed reports whether a stored value is sealed (as opposed to legacy clear text).
func IsSealed(stored string) bool { return strings.HasPrefix(stored, prefix) }

// Open decrypts a stored value. current is false when the value is clear text (stored
// before encryption) or sealed under an older key: it should be sealed again.
func (k *Keyring) Open(stored, context string) (plain string, current bool, err error) {
	if stored == "" {
		return "", true, nil
	}
	if !IsSealed(stored) {
		return stored, false, nil
	}
	id, body, ok := strings.Cut(strings.TrimPrefix(stored, prefix), ":")
	if !ok {
		return "", false, errors.New("secret: malformed sealed value")
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return "", false, errors.New("secret: malformed sealed value")
	}
	for i, kk := range k.keys {
		if kk.id != id {
			continue
		}
		n := kk.aead.NonceSize()
		if len(raw) < n {
			return "", false, errors.New("secret: malformed sealed value")
		}
		p, err := kk.aead.Open(nil, raw[:n], raw[n:], []byte(context))
		if err != nil {
			return "", false, fmt.Errorf("secret: a value sealed under key %s does not open (tampered, or moved from another row)", id)
		}
		return string(p), i == 0, nil
	}
	return "", false, fmt.Errorf("secret: a stored secret is sealed under key %s, which is not among the configured keys (%s): set TENURE_SECRET_KEY (or the key file) to include it", id, k.ids())
}

func (k *Keyring) ids() string {
	var ids []string
	for _, kk := range k.keys {
		ids = append(ids, kk.id)
	}
	return strings.Join(ids, ", ")
}

// LoadFile reads a keyring from a key file.
func LoadFile(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// LoadOrCreateFile reads the keyring at path, or creates the file (mode 0600) with a new
// key if there is none. created reports the latter.
func LoadOrCreateFile(path string) (k *Keyring, created bool, err error) {
	k, err = LoadFile(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return k, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process just made it
		k, err = LoadFile(path)
		return k, false, err
	}
	if err != nil {
		return nil, false, err
	}
	key := Generate()
	_, err = f.WriteString(key + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(path, 0o600)
	}
	if err != nil {
		return nil, false, err
	}
	k, err = Parse(key)
	return k, true, err
}

// WriteFile replaces the key file at path with keys (current first), mode 0600, by an
// atomic rename so a crash leaves the old file or the new one.
func WriteFile(path string, keys ...string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	var b bytes.Buffer
	for _, kk := range keys {
		b.WriteString(kk + "\n")
	}
	_, err = tmp.Write(b.Bytes())
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
