package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/authd/authd/internal/wire"
)

// Session is a row of the "session" table, including the admin plugin's
// impersonatedBy column.
type Session struct {
	ID             string
	ExpiresAt      time.Time
	Token          string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	IPAddress      *string
	UserAgent      *string
	UserID         string
	ImpersonatedBy *string
}

// MarshalJSON writes the session in the field order of SQL-backed Better
// Auth. The token is included, as Better Auth includes it.
func (s Session) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ExpiresAt      string  `json:"expiresAt"`
		Token          string  `json:"token"`
		CreatedAt      string  `json:"createdAt"`
		UpdatedAt      string  `json:"updatedAt"`
		IPAddress      *string `json:"ipAddress"`
		UserAgent      *string `json:"userAgent"`
		UserID         string  `json:"userId"`
		ImpersonatedBy *string `json:"impersonatedBy"`
		ID             string  `json:"id"`
	}{wire.Time(s.ExpiresAt), s.Token, wire.Time(s.CreatedAt), wire.Time(s.UpdatedAt),
		s.IPAddress, s.UserAgent, s.UserID, s.ImpersonatedBy, s.ID})
}

// SessionColumns is the select list that ScanSession reads.
const SessionColumns = `"id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent",
	"userId", "impersonatedBy"`

// ScanSession reads a row selected with SessionColumns.
func ScanSession(row scanner) (*Session, error) {
	var s Session
	err := row.Scan(&s.ID, &s.ExpiresAt, &s.Token, &s.CreatedAt, &s.UpdatedAt, &s.IPAddress, &s.UserAgent,
		&s.UserID, &s.ImpersonatedBy)
	if err != nil {
		return nil, notFound(err)
	}
	return &s, nil
}

// InsertSession stores a new session.
func InsertSession(ctx context.Context, db DB, s *Session) error {
	_, err := db.Exec(ctx, `INSERT INTO "session" (`+SessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		s.ID, s.ExpiresAt, s.Token, s.CreatedAt, s.UpdatedAt, s.IPAddress, s.UserAgent, s.UserID, s.ImpersonatedBy)
	return err
}

// SessionWithUserByToken loads a session and its user in one query: the
// hot path of every authenticated request.
func SessionWithUserByToken(ctx context.Context, db DB, token string) (*Session, *User, error) {
	row := db.QueryRow(ctx, `SELECT s."id", s."expiresAt", s."token", s."createdAt", s."updatedAt",
			s."ipAddress", s."userAgent", s."userId", s."impersonatedBy",
			u."id", u."name", u."email", u."emailVerified", u."image", u."createdAt", u."updatedAt",
			u."role", u."banned", u."banReason", u."banExpires"
		FROM "session" s JOIN "user" u ON u."id" = s."userId"
		WHERE s."token" = $1`, token)
	var s Session
	var u User
	err := row.Scan(&s.ID, &s.ExpiresAt, &s.Token, &s.CreatedAt, &s.UpdatedAt, &s.IPAddress, &s.UserAgent,
		&s.UserID, &s.ImpersonatedBy,
		&u.ID, &u.Name, &u.Email, &u.EmailVerified, &u.Image, &u.CreatedAt, &u.UpdatedAt,
		&u.Role, &u.Banned, &u.BanReason, &u.BanExpires)
	if err != nil {
		return nil, nil, notFound(err)
	}
	return &s, &u, nil
}

// SessionByToken returns ErrNotFound when no session has the token.
func SessionByToken(ctx context.Context, db DB, token string) (*Session, error) {
	return ScanSession(db.QueryRow(ctx, `SELECT `+SessionColumns+` FROM "session" WHERE "token" = $1`, token))
}

// ExtendSession moves expiresAt and updatedAt forward. It returns
// ErrNotFound when the row is gone, for example revoked meanwhile.
func ExtendSession(ctx context.Context, db DB, id string, expiresAt, now time.Time) (*Session, error) {
	return ScanSession(db.QueryRow(ctx, `UPDATE "session" SET "expiresAt" = $2, "updatedAt" = $3
		WHERE "id" = $1 RETURNING `+SessionColumns, id, expiresAt, now))
}

// DeleteSessionByToken deletes at most one session.
func DeleteSessionByToken(ctx context.Context, db DB, token string) error {
	_, err := db.Exec(ctx, `DELETE FROM "session" WHERE "token" = $1`, token)
	return err
}

// DeleteUserSessionByToken deletes the session only when it belongs to userID.
func DeleteUserSessionByToken(ctx context.Context, db DB, userID, token string) (bool, error) {
	tag, err := db.Exec(ctx, `DELETE FROM "session" WHERE "token" = $1 AND "userId" = $2`, token, userID)
	return tag.RowsAffected() > 0, err
}

// DeleteUserSessions deletes every session of the user.
func DeleteUserSessions(ctx context.Context, db DB, userID string) (int64, error) {
	tag, err := db.Exec(ctx, `DELETE FROM "session" WHERE "userId" = $1`, userID)
	return tag.RowsAffected(), err
}

// DeleteOtherUserSessions deletes the user's sessions except keepToken.
func DeleteOtherUserSessions(ctx context.Context, db DB, userID, keepToken string) error {
	_, err := db.Exec(ctx, `DELETE FROM "session" WHERE "userId" = $1 AND "token" <> $2`, userID, keepToken)
	return err
}

// ListUserSessions returns the user's sessions that expire after now, oldest
// first.
func ListUserSessions(ctx context.Context, db DB, userID string, now time.Time) ([]Session, error) {
	rows, err := db.Query(ctx, `SELECT `+SessionColumns+` FROM "session"
		WHERE "userId" = $1 AND "expiresAt" > $2 ORDER BY "createdAt", "id"`, userID, now)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	sessions := []Session{}
	for rows.Next() {
		s, err := ScanSession(rows)
		if err != nil {
			return nil, err
		}
		sessions = append(sessions, *s)
	}
	return sessions, rows.Err()
}
