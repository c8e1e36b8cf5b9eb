package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/store"
)

// The plugin's SQL. Each change that must be atomic is one statement or
// runs inside the caller's transaction, next to its audit event.

// userColumn is a user column that update-user may set.
type userColumn struct {
	name  string // quoted column name, from this package only
	value any
}

// updateUserColumns sets the given columns and updatedAt in one statement.
// Column names come from the fixed list in updateUser, never from input.
func updateUserColumns(ctx context.Context, db store.DB, id string, cols []userColumn, now time.Time) (*store.User, error) {
	set := make([]string, 0, len(cols)+1)
	args := []any{id}
	for _, c := range cols {
		args = append(args, c.value)
		set = append(set, fmt.Sprintf("%s = $%d", c.name, len(args)))
	}
	args = append(args, now)
	set = append(set, fmt.Sprintf(`"updatedAt" = $%d`, len(args)))
	return store.ScanUser(db.QueryRow(ctx, `UPDATE "user" SET `+strings.Join(set, ", ")+
		` WHERE "id" = $1 RETURNING `+store.UserColumns, args...))
}

// setUserRole stores the role string and returns the user with the role it
// had before, for the audit log. The row lock of the subquery makes the
// previous value the one this statement replaced.
func setUserRole(ctx context.Context, db store.DB, id, role string, now time.Time) (*store.User, *string, error) {
	row := db.QueryRow(ctx, `UPDATE "user" u SET "role" = $2, "updatedAt" = $3
		FROM (SELECT "id", "role" FROM "user" WHERE "id" = $1 FOR UPDATE) old
		WHERE u."id" = old."id"
		RETURNING old."role", `+prefixed("u", store.UserColumns), id, role, now)
	var previous *string
	var u store.User
	err := row.Scan(&previous, &u.ID, &u.Name, &u.Email, &u.EmailVerified, &u.Image, &u.CreatedAt, &u.UpdatedAt,
		&u.Role, &u.Banned, &u.BanReason, &u.BanExpires)
	if err != nil {
		return nil, nil, notFound(err)
	}
	return &u, previous, nil
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// banUser sets the ban columns. expires nil bans without end and clears an
// older banExpires, where Better Auth would keep it.
func banUser(ctx context.Context, db store.DB, id, reason string, expires *time.Time, now time.Time) (*store.User, error) {
	return store.ScanUser(db.QueryRow(ctx, `UPDATE "user" SET "banned" = true, "banReason" = $2, "banExpires" = $3,
		"updatedAt" = $4 WHERE "id" = $1 RETURNING `+store.UserColumns, id, reason, expires, now))
}

// unbanUser clears the ban columns, whether or not the user was banned.
func unbanUser(ctx context.Context, db store.DB, id string, now time.Time) (*store.User, error) {
	return store.ScanUser(db.QueryRow(ctx, `UPDATE "user" SET "banned" = false, "banReason" = NULL,
		"banExpires" = NULL, "updatedAt" = $2 WHERE "id" = $1 RETURNING `+store.UserColumns, id, now))
}

// emailTakenByOther reports whether a user other than id has the email.
func emailTakenByOther(ctx context.Context, db store.DB, email, id string) (bool, error) {
	var taken bool
	err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM "user" WHERE "email" = $1 AND "id" <> $2)`, email, id).Scan(&taken)
	return taken, err
}

// allUserSessions returns every stored session of the user, expired ones
// and impersonation sessions included, oldest first, as Better Auth's
// list-user-sessions does with a database store.
func allUserSessions(ctx context.Context, db store.DB, userID string) ([]store.Session, error) {
	rows, err := db.Query(ctx, `SELECT `+store.SessionColumns+` FROM "session"
		WHERE "userId" = $1 ORDER BY "createdAt", "id"`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sessions := []store.Session{}
	for rows.Next() {
		s, err := store.ScanSession(rows)
		if err != nil {
			return nil, err
		}
		sessions = append(sessions, *s)
	}
	return sessions, rows.Err()
}

// deleteSessionByToken deletes one session and returns its id and owner,
// or empty strings when no session has the token.
func deleteSessionByToken(ctx context.Context, db store.DB, token string) (id, userID string, err error) {
	rows, err := db.Query(ctx, `DELETE FROM "session" WHERE "token" = $1 RETURNING "id", "userId"`, token)
	if err != nil {
		return "", "", err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&id, &userID); err != nil {
			return "", "", err
		}
	}
	return id, userID, rows.Err()
}

// removedUser counts what remove-user deleted.
type removedUser struct {
	Email    string
	Sessions int64
	APIKeys  int64
}

// removeUser deletes the user with their sessions, API keys and accounts.
// Run it in a transaction: a half-removed user must not remain. The
// apikey table has no foreign key to the user (Better Auth's layout keys
// it by referenceId), so its rows are deleted explicitly.
func removeUser(ctx context.Context, db store.DB, id string) (*removedUser, error) {
	var r removedUser
	var err error
	if r.Sessions, err = store.DeleteUserSessions(ctx, db, id); err != nil {
		return nil, err
	}
	tag, err := db.Exec(ctx, `DELETE FROM "apikey" WHERE "referenceId" = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("delete API keys of user %s: %w", id, err)
	}
	r.APIKeys = tag.RowsAffected()
	if _, err := db.Exec(ctx, `DELETE FROM "account" WHERE "userId" = $1`, id); err != nil {
		return nil, err
	}
	err = db.QueryRow(ctx, `DELETE FROM "user" WHERE "id" = $1 RETURNING "email"`, id).Scan(&r.Email)
	if err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}
