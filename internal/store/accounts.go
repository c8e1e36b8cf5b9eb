package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/authd/authd/internal/wire"
)

// Credential account constants, as Better Auth 1.7 writes them.
const (
	CredentialProvider = "credential"
	CredentialIssuer   = "local:credential"
)

// Account is a row of the "account" table without the OAuth token columns,
// which authd never reads or returns.
type Account struct {
	ID         string
	Issuer     string
	AccountID  string
	ProviderID string
	UserID     string
	Scope      *string
	Password   *string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// MarshalJSON writes the list-accounts shape: no password, and scope split
// into scopes.
func (a Account) MarshalJSON() ([]byte, error) {
	scopes := []string{}
	if a.Scope != nil {
		for _, s := range strings.Split(*a.Scope, ",") {
			if s = strings.TrimSpace(s); s != "" {
				scopes = append(scopes, s)
			}
		}
	}
	return json.Marshal(struct {
		Issuer     string   `json:"issuer"`
		AccountID  string   `json:"accountId"`
		ProviderID string   `json:"providerId"`
		UserID     string   `json:"userId"`
		CreatedAt  string   `json:"createdAt"`
		UpdatedAt  string   `json:"updatedAt"`
		ID         string   `json:"id"`
		Scopes     []string `json:"scopes"`
	}{a.Issuer, a.AccountID, a.ProviderID, a.UserID, wire.Time(a.CreatedAt), wire.Time(a.UpdatedAt), a.ID, scopes})
}

const accountColumns = `"id", "issuer", "accountId", "providerId", "userId", "scope", "password", "createdAt", "updatedAt"`

// accountSelect reads accountColumns. A database made by Better Auth 1.7.5
// or older may hold accounts without an issuer (see migration 0001).
const accountSelect = `"id", COALESCE("issuer", ''), "accountId", "providerId", "userId", "scope", "password", "createdAt", "updatedAt"`

func scanAccount(row scanner) (*Account, error) {
	var a Account
	err := row.Scan(&a.ID, &a.Issuer, &a.AccountID, &a.ProviderID, &a.UserID, &a.Scope, &a.Password, &a.CreatedAt, &a.UpdatedAt)
	if err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// InsertAccount stores a new account.
func InsertAccount(ctx context.Context, db DB, a *Account) error {
	_, err := db.Exec(ctx, `INSERT INTO "account" (`+accountColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		a.ID, a.Issuer, a.AccountID, a.ProviderID, a.UserID, a.Scope, a.Password, a.CreatedAt, a.UpdatedAt)
	return err
}

// CredentialAccount returns the user's password account: provider
// "credential" with the user id as accountId, as Better Auth 1.7.5 matches
// it. The issuer is not compared, because Better Auth 1.7.5 writes none and
// every credential account has the same one.
func CredentialAccount(ctx context.Context, db DB, userID string) (*Account, error) {
	return scanAccount(db.QueryRow(ctx, `SELECT `+accountSelect+` FROM "account"
		WHERE "userId" = $1 AND "providerId" = $2 AND "accountId" = $1`,
		userID, CredentialProvider))
}

// ListAccounts returns the user's accounts, oldest first.
func ListAccounts(ctx context.Context, db DB, userID string) ([]Account, error) {
	rows, err := db.Query(ctx, `SELECT `+accountSelect+` FROM "account" WHERE "userId" = $1 ORDER BY "createdAt", "id"`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	accounts := []Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		accounts = append(accounts, *a)
	}
	return accounts, rows.Err()
}

// SetCredentialPassword updates the password hash of the user's credential
// account, matched as CredentialAccount matches it. It returns false when
// the user has no such account.
func SetCredentialPassword(ctx context.Context, db DB, userID, hash string, now time.Time) (bool, error) {
	tag, err := db.Exec(ctx, `UPDATE "account" SET "password" = $2, "updatedAt" = $3
		WHERE "userId" = $1 AND "providerId" = $4 AND "accountId" = $1`,
		userID, hash, now, CredentialProvider)
	return tag.RowsAffected() > 0, err
}

// LockCredentials re-reads the user and the password hash of their
// credential account inside tx and holds a share lock on both rows until tx
// ends. A sign-in that checked a password outside the transaction calls it
// before inserting the session: a password change or ban that committed
// meanwhile is then visible (the hash or the ban differs), and one that
// starts later waits for the session to exist and revokes it with the
// others. The hash is empty when the account has no password.
func LockCredentials(ctx context.Context, tx DB, userID string) (*User, string, error) {
	user, err := ScanUser(tx.QueryRow(ctx, `SELECT `+UserColumns+` FROM "user" WHERE "id" = $1 FOR SHARE`, userID))
	if err != nil {
		return nil, "", err
	}
	var hash *string
	err = tx.QueryRow(ctx, `SELECT "password" FROM "account"
		WHERE "userId" = $1 AND "providerId" = $2 AND "accountId" = $1 FOR SHARE`,
		userID, CredentialProvider).Scan(&hash)
	if err != nil {
		return nil, "", notFound(err)
	}
	if hash == nil {
		return user, "", nil
	}
	return user, *hash, nil
}

// LockCredentialPassword returns the password hash of the user's
// credential account and locks the row for an update until tx ends, so a
// change-password can check that the hash it verified is still current.
func LockCredentialPassword(ctx context.Context, tx DB, userID string) (string, error) {
	var hash *string
	err := tx.QueryRow(ctx, `SELECT "password" FROM "account"
		WHERE "userId" = $1 AND "providerId" = $2 AND "accountId" = $1 FOR UPDATE`,
		userID, CredentialProvider).Scan(&hash)
	if err != nil {
		return "", notFound(err)
	}
	if hash == nil {
		return "", nil
	}
	return *hash, nil
}
