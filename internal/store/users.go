package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/authd/authd/internal/wire"
)

// User is a row of the "user" table, including the admin plugin's columns.
type User struct {
	ID            string
	Name          string
	Email         string
	EmailVerified bool
	Image         *string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Role          *string
	Banned        *bool
	BanReason     *string
	BanExpires    *time.Time
}

// IsBanned reports whether the ban is in force at now. A ban whose
// banExpires has passed no longer counts.
func (u *User) IsBanned(now time.Time) bool {
	if u.Banned == nil || !*u.Banned {
		return false
	}
	return u.BanExpires == nil || !u.BanExpires.Before(now)
}

// MarshalJSON writes the user in the field order of SQL-backed Better Auth,
// with every admin field present (null when unset).
func (u User) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Name          string  `json:"name"`
		Email         string  `json:"email"`
		EmailVerified bool    `json:"emailVerified"`
		Image         *string `json:"image"`
		CreatedAt     string  `json:"createdAt"`
		UpdatedAt     string  `json:"updatedAt"`
		Role          *string `json:"role"`
		Banned        *bool   `json:"banned"`
		BanReason     *string `json:"banReason"`
		BanExpires    *string `json:"banExpires"`
		ID            string  `json:"id"`
	}{u.Name, u.Email, u.EmailVerified, u.Image, wire.Time(u.CreatedAt), wire.Time(u.UpdatedAt),
		u.Role, u.Banned, u.BanReason, wire.NullTime(u.BanExpires), u.ID})
}

// UserColumns is the select list that scanUser reads.
const UserColumns = `"id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt",
	"role", "banned", "banReason", "banExpires"`

type scanner interface{ Scan(dest ...any) error }

// ScanUser reads a row selected with UserColumns.
func ScanUser(row scanner) (*User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Name, &u.Email, &u.EmailVerified, &u.Image, &u.CreatedAt, &u.UpdatedAt,
		&u.Role, &u.Banned, &u.BanReason, &u.BanExpires)
	if err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// InsertUser stores a new user. A taken email fails with a unique violation.
func InsertUser(ctx context.Context, db DB, u *User) error {
	_, err := db.Exec(ctx, `INSERT INTO "user" (`+UserColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		u.ID, u.Name, u.Email, u.EmailVerified, u.Image, u.CreatedAt, u.UpdatedAt,
		u.Role, u.Banned, u.BanReason, u.BanExpires)
	return err
}

// UserByID returns ErrNotFound when no user has the id.
func UserByID(ctx context.Context, db DB, id string) (*User, error) {
	return ScanUser(db.QueryRow(ctx, `SELECT `+UserColumns+` FROM "user" WHERE "id" = $1`, id))
}

// UserByEmail looks the email up as given; callers lower-case it first
// because authd and Better Auth store emails in lower case.
func UserByEmail(ctx context.Context, db DB, email string) (*User, error) {
	return ScanUser(db.QueryRow(ctx, `SELECT `+UserColumns+` FROM "user" WHERE "email" = $1`, email))
}

// UpdateUserProfile sets name and image when given and bumps updatedAt.
func UpdateUserProfile(ctx context.Context, db DB, id string, name *string, image *string, setImage bool, now time.Time) (*User, error) {
	return ScanUser(db.QueryRow(ctx, `UPDATE "user" SET
			"name" = COALESCE($2, "name"),
			"image" = CASE WHEN $3 THEN $4 ELSE "image" END,
			"updatedAt" = $5
		WHERE "id" = $1 RETURNING `+UserColumns, id, name, setImage, image, now))
}

// SetEmailVerified marks the user's email as verified.
func SetEmailVerified(ctx context.Context, db DB, id string, now time.Time) (*User, error) {
	return ScanUser(db.QueryRow(ctx, `UPDATE "user" SET "emailVerified" = true, "updatedAt" = $2
		WHERE "id" = $1 RETURNING `+UserColumns, id, now))
}

// ClearExpiredBan lifts a ban whose banExpires is before now, in one
// conditional statement so concurrent sign-ins agree on the outcome.
func ClearExpiredBan(ctx context.Context, db DB, id string, now time.Time) error {
	_, err := db.Exec(ctx, `UPDATE "user" SET "banned" = false, "banReason" = NULL, "banExpires" = NULL, "updatedAt" = $2
		WHERE "id" = $1 AND "banned" AND "banExpires" IS NOT NULL AND "banExpires" < $2`, id, now)
	return err
}
