// Package servicekey manages the keys that application backends use to
// call authd as a trusted server (Authorization: Bearer <service key>).
// Such a caller may set server-only fields and act for any user, as
// Better Auth's in-process auth.api calls may.
//
// A key is "authd_sk_" followed by 48 random letters and digits. The prefix
// keeps it from ever being read as a session token. Only its SHA-256 is
// stored; the key is printed once, when it is created.
package servicekey

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/randstr"
	"github.com/authd/authd/internal/store"
)

// Prefix starts every service key.
const Prefix = "authd_sk_"

const randomLength = 48

// Key is a stored service key, without the secret.
type Key struct {
	ID         string
	Name       string
	Start      string // the first characters, to recognise a key in listings
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Looks reports whether token has the shape of a service key.
func Looks(token string) bool { return strings.HasPrefix(token, Prefix) }

func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Create stores a new key and returns it with the plaintext key, which is
// not stored anywhere.
func Create(ctx context.Context, db store.DB, name string, now time.Time) (*Key, string, error) {
	if strings.TrimSpace(name) == "" {
		return nil, "", errors.New("service key name is required")
	}
	if len(name) > 100 {
		return nil, "", errors.New("service key name is longer than 100 characters")
	}
	var taken bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM "authd_service_key" WHERE "name" = $1 AND "revokedAt" IS NULL)`,
		name).Scan(&taken); err != nil {
		return nil, "", err
	}
	if taken {
		return nil, "", fmt.Errorf("an active service key named %q exists: choose another name, or revoke that key first", name)
	}
	token := Prefix + randstr.String(randomLength, randstr.Alphanumeric)
	k := &Key{ID: randstr.ID(), Name: name, Start: token[:len(Prefix)+4], CreatedAt: now}
	_, err := db.Exec(ctx, `INSERT INTO "authd_service_key" ("id", "name", "start", "keyHash", "createdAt")
		VALUES ($1, $2, $3, $4, $5)`, k.ID, k.Name, k.Start, hash(token), k.CreatedAt)
	if err != nil {
		return nil, "", err
	}
	return k, token, nil
}

const columns = `"id", "name", "start", "createdAt", "lastUsedAt", "revokedAt"`

func scan(row pgx.Row) (*Key, error) {
	var k Key
	if err := row.Scan(&k.ID, &k.Name, &k.Start, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	return &k, nil
}

// Verify returns the active key for token, or store.ErrNotFound. The
// lookup is by the SHA-256 of the token, so no secret is compared in
// application code and response timing reveals nothing usable about the key.
func Verify(ctx context.Context, db store.DB, token string) (*Key, error) {
	if !Looks(token) || len(token) != len(Prefix)+randomLength {
		return nil, store.ErrNotFound
	}
	return scan(db.QueryRow(ctx, `SELECT `+columns+` FROM "authd_service_key"
		WHERE "keyHash" = $1 AND "revokedAt" IS NULL`, hash(token)))
}

// List returns every key, newest first, revoked ones included.
func List(ctx context.Context, db store.DB) ([]Key, error) {
	rows, err := db.Query(ctx, `SELECT `+columns+` FROM "authd_service_key" ORDER BY "createdAt" DESC, "id"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []Key
	for rows.Next() {
		k, err := scan(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, *k)
	}
	return keys, rows.Err()
}

// ErrAmbiguousName is returned by Revoke when several active keys have the
// name; they were created before names had to be unique. Revoke them by id.
var ErrAmbiguousName = errors.New("several active service keys have this name: revoke them by id (authd service-key list shows the ids)")

// Revoke revokes the key with the id, or the one active key with the name.
// It returns store.ErrNotFound when nothing matched and ErrAmbiguousName
// when the name matches several active keys, so one command never revokes
// more than one key.
func Revoke(ctx context.Context, db store.DB, idOrName string, now time.Time) (*Key, error) {
	var matches int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM "authd_service_key"
		WHERE "name" = $1 AND "id" <> $1 AND "revokedAt" IS NULL`, idOrName).Scan(&matches); err != nil {
		return nil, err
	}
	if matches > 1 {
		return nil, ErrAmbiguousName
	}
	return scan(db.QueryRow(ctx, `UPDATE "authd_service_key" SET "revokedAt" = $2
		WHERE ("id" = $1 OR "name" = $1) AND "revokedAt" IS NULL RETURNING `+columns, idOrName, now))
}

// TouchLastUsed records a use. Callers throttle it; it is not on the hot
// path of every request.
func TouchLastUsed(ctx context.Context, db store.DB, id string, now time.Time) error {
	_, err := db.Exec(ctx, `UPDATE "authd_service_key" SET "lastUsedAt" = $2 WHERE "id" = $1`, id, now)
	return err
}
