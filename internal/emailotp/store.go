package emailotp

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/store"
)

// A code row's value is "<digest>:<attempts>", Better Auth's layout, where
// attempts counts the submissions so far. These expressions read the two
// parts in SQL; they split at the last colon as Better Auth does, and read a
// value without a count as zero attempts.
const (
	sqlStored   = `regexp_replace("value", ':[0-9]*$', '')`
	sqlAttempts = `COALESCE(substring("value" FROM ':([0-9]{1,9})$')::int, 0)`
)

// countAttempt counts one submission against the newest code of ident in a
// single statement, before the caller compares the code. The row lock
// serialises concurrent submissions, and each reads the count that the
// previous one wrote.
//
// The count is raised only while the code is live and has at most limit
// submissions: a result of 1..limit admits a comparison, limit+1 marks the
// code locked (that submission gets TOO_MANY_ATTEMPTS), and a locked
// code is not counted further. A locked row stays until it expires or a new
// code replaces it; it is never compared again. It returns nil when ident
// has no code.
func countAttempt(ctx context.Context, db store.DB, ident string, now time.Time, limit int) (*attempt, error) {
	row := db.QueryRow(ctx, `WITH target AS (
			SELECT "id", "createdAt", "expiresAt", `+sqlStored+` AS stored, `+sqlAttempts+` AS attempts
			FROM "verification"
			WHERE "identifier" = $1
			ORDER BY "createdAt" DESC
			LIMIT 1
			FOR UPDATE
		), counted AS (
			UPDATE "verification" AS v
			SET "value" = t.stored || ':' || (t.attempts + 1), "updatedAt" = $2
			FROM target AS t
			WHERE v."id" = t."id" AND t."expiresAt" >= $2 AND t.attempts <= $3
			RETURNING t.attempts + 1 AS attempts
		)
		SELECT t."id", t."createdAt", t.stored,
			COALESCE((SELECT attempts FROM counted), t.attempts),
			EXISTS (SELECT 1 FROM counted)
		FROM target AS t`, ident, now, limit)
	var a attempt
	err := row.Scan(&a.id, &a.createdAt, &a.stored, &a.attempts, &a.counted)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// consumeAttempt deletes the code that a right submission matched and
// reports whether this call deleted it: of several submissions of a right
// code only one wins. Older rows of the identifier, which only a Better
// Auth server writes, go with it.
func consumeAttempt(ctx context.Context, db store.DB, ident string, a *attempt) (bool, error) {
	var won bool
	err := db.QueryRow(ctx, `WITH won AS (
			DELETE FROM "verification" WHERE "id" = $1 RETURNING "id"
		), older AS (
			DELETE FROM "verification"
			WHERE "identifier" = $2 AND "createdAt" < $3 AND EXISTS (SELECT 1 FROM won)
		)
		SELECT EXISTS (SELECT 1 FROM won)`, a.id, ident, a.createdAt).Scan(&won)
	return won, err
}

// refundAttempt takes back the count of a right submission to the
// non-consuming check. A code that another submission locked meanwhile
// stays locked.
func refundAttempt(ctx context.Context, db store.DB, a *attempt, limit int) error {
	_, err := db.Exec(ctx, `UPDATE "verification"
		SET "value" = `+sqlStored+` || ':' || (`+sqlAttempts+` - 1)
		WHERE "id" = $1 AND `+sqlAttempts+` BETWEEN 1 AND $2`, a.id, limit)
	return err
}

// deleteCodes removes every code of ident.
func deleteCodes(ctx context.Context, db store.DB, ident string) error {
	_, err := db.Exec(ctx, `DELETE FROM "verification" WHERE "identifier" = $1`, ident)
	return err
}

// deleteExpiredCodes removes the expired codes of ident; a code that a new
// request stored meanwhile stays.
func deleteExpiredCodes(ctx context.Context, db store.DB, ident string, now time.Time) error {
	_, err := db.Exec(ctx, `DELETE FROM "verification" WHERE "identifier" = $1 AND "expiresAt" < $2`, ident, now)
	return err
}

// userExists reports whether an account has the (lower-case) email.
func userExists(ctx context.Context, db store.DB, email string) (bool, error) {
	var exists bool
	err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM "user" WHERE "email" = $1)`, email).Scan(&exists)
	return exists, err
}

// setVerifiedEmail sets the user's email and marks it verified, for
// verify-email and change-email. A taken email fails with a unique
// violation.
func setVerifiedEmail(ctx context.Context, db store.DB, userID, email string, now time.Time) (*store.User, error) {
	return store.ScanUser(db.QueryRow(ctx, `UPDATE "user" SET "email" = $2, "emailVerified" = true, "updatedAt" = $3
		WHERE "id" = $1 RETURNING `+store.UserColumns, userID, email, now))
}

// revokeUnprovenAccess is Better Auth's step before an unverified user
// signs in with a code: the code proves control of the mailbox, and nothing
// the account gathered before that proof may carry over. It deletes every
// linked account (the password too) and every session, then marks the
// email verified, all in tx. The row lock makes concurrent sign-ins agree.
// It returns ErrNotFound when the user was deleted meanwhile.
func revokeUnprovenAccess(ctx context.Context, tx pgx.Tx, userID string, now time.Time) (*store.User, error) {
	user, err := store.ScanUser(tx.QueryRow(ctx, `SELECT `+store.UserColumns+` FROM "user" WHERE "id" = $1 FOR UPDATE`, userID))
	if err != nil || user.EmailVerified {
		return user, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM "account" WHERE "userId" = $1`, userID); err != nil {
		return nil, err
	}
	if _, err := store.DeleteUserSessions(ctx, tx, userID); err != nil {
		return nil, err
	}
	return store.SetEmailVerified(ctx, tx, userID, now)
}
