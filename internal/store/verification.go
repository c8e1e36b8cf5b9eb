package store

import (
	"context"
	"time"
)

// Verification is a row of the "verification" table: reset tokens and
// one-time codes keyed by identifier.
type Verification struct {
	ID         string
	Identifier string
	Value      string
	ExpiresAt  time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

const verificationColumns = `"id", "identifier", "value", "expiresAt", "createdAt", "updatedAt"`

func scanVerification(row scanner) (*Verification, error) {
	var v Verification
	if err := row.Scan(&v.ID, &v.Identifier, &v.Value, &v.ExpiresAt, &v.CreatedAt, &v.UpdatedAt); err != nil {
		return nil, notFound(err)
	}
	return &v, nil
}

// InsertVerification stores a new verification row.
func InsertVerification(ctx context.Context, db DB, v *Verification) error {
	_, err := db.Exec(ctx, `INSERT INTO "verification" (`+verificationColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		v.ID, v.Identifier, v.Value, v.ExpiresAt, v.CreatedAt, v.UpdatedAt)
	return err
}

// ReplaceVerification deletes every row of the identifier and inserts v, in
// one statement, so a new code or token always replaces the previous one
// even when two requests race.
func ReplaceVerification(ctx context.Context, db DB, v *Verification) error {
	_, err := db.Exec(ctx, `WITH removed AS (DELETE FROM "verification" WHERE "identifier" = $2)
		INSERT INTO "verification" (`+verificationColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		v.ID, v.Identifier, v.Value, v.ExpiresAt, v.CreatedAt, v.UpdatedAt)
	return err
}

// LatestVerification returns the newest row of the identifier, expired or
// not.
func LatestVerification(ctx context.Context, db DB, identifier string) (*Verification, error) {
	return scanVerification(db.QueryRow(ctx, `SELECT `+verificationColumns+` FROM "verification"
		WHERE "identifier" = $1 ORDER BY "createdAt" DESC LIMIT 1`, identifier))
}

// ConsumeVerification deletes every row of the identifier and returns the
// newest one if it has not expired. One DELETE ... RETURNING makes the token
// single-use under concurrency: only one caller gets the row back.
func ConsumeVerification(ctx context.Context, db DB, identifier string, now time.Time) (*Verification, error) {
	rows, err := db.Query(ctx, `DELETE FROM "verification" WHERE "identifier" = $1 RETURNING `+verificationColumns, identifier)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var newest *Verification
	for rows.Next() {
		v, err := scanVerification(rows)
		if err != nil {
			return nil, err
		}
		if newest == nil || v.CreatedAt.After(newest.CreatedAt) {
			newest = v
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if newest == nil || !newest.ExpiresAt.After(now) {
		return nil, ErrNotFound
	}
	return newest, nil
}

// DeleteExpiredVerifications removes rows that expired before now.
func DeleteExpiredVerifications(ctx context.Context, db DB, now time.Time) (int64, error) {
	tag, err := db.Exec(ctx, `DELETE FROM "verification" WHERE "expiresAt" < $1`, now)
	return tag.RowsAffected(), err
}
