package apikey

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/store"
)

// useRequest is one attempt to use a key.
type useRequest struct {
	Hash string
	Now  time.Time
	// Required is the permissions the caller requests. Nil skips the check.
	Required map[string][]string
	// ConfigID, when set, scopes the attempt to keys of that configuration.
	ConfigID *string
	// RequireOwner rejects keys whose owner has no user row, as the
	// x-api-key session must: it needs a user to act as.
	RequireOwner bool
}

// useResult is the verdict of an attempt.
type useResult struct {
	// Code is CodeValid or the Better Auth error code of the rejection.
	Code string
	// Key is the row after the use, set only when Code is CodeValid.
	Key *Key
	// Owner is the key's user when one exists, set only on success.
	Owner *store.User
	// TryAgainIn is the wait in milliseconds until the bucket contains a
	// token again, set only for CodeRateLimited.
	TryAgainIn int64
}

// Permission check modes of the use statement.
const (
	permissionsNone       = 0 // no permissions required
	permissionsContained  = 1 // the key's permissions must contain $4
	permissionsImpossible = 2 // the request can never be granted
)

// verdictCTEs reads a key and judges an attempt to use it, without writing.
// With lock, the key's row is locked (FOR UPDATE) from the moment it is
// read until the statement ends, and the row read after waiting for the
// lock is the current one.
//
// Parameters: $1 key hash, $2 now, $3 permission mode, $4 required
// permissions (jsonb), $5 whether rate limiting is on at all, $6 the
// configId scope or NULL, $7 whether the owner must exist.
//
// The steps are Better Auth's with authd's decisions. The rate limit is a
// token bucket checked before remaining. A rejected attempt writes nothing,
// so an expired or exhausted key fails the same way on every attempt and a
// rejected request never costs quota.
func verdictCTEs(lock bool) string {
	forUpdate := ""
	if lock {
		forUpdate = "FOR UPDATE OF k"
	}
	return `WITH cur AS (
	SELECT ` + columnList("k") + `,
		k."authdRateLimitTokens" AS bucket_tokens, k."authdRateLimitUpdatedAt" AS bucket_at,
		u."id" AS owner_id, u."name" AS owner_name, u."email" AS owner_email,
		u."emailVerified" AS owner_email_verified, u."image" AS owner_image,
		u."createdAt" AS owner_created_at, u."updatedAt" AS owner_updated_at, u."role" AS owner_role,
		u."banned" AS owner_banned, u."banReason" AS owner_ban_reason, u."banExpires" AS owner_ban_expires
	FROM "apikey" k LEFT JOIN "user" u ON u."id" = k."referenceId"
	WHERE k."key" = $1::text
	` + forUpdate + `
), calc AS (
	SELECT cur.*,
		-- Better Auth refills only when refillInterval and refillAmount are
		-- both non-zero, strictly after refillInterval ms since the last
		-- refill (or creation), and only keys with a remaining count.
		(cur."remaining" IS NOT NULL
			AND COALESCE(cur."refillInterval", 0) <> 0 AND COALESCE(cur."refillAmount", 0) <> 0
			AND EXTRACT(EPOCH FROM ($2::timestamptz - COALESCE(cur."lastRefillAt", cur."createdAt"))) * 1000
				> cur."refillInterval") AS refill_due,
		-- A key without a window or maximum has no limit, as in Better Auth.
		COALESCE($5::boolean AND cur."rateLimitEnabled" IS DISTINCT FROM false
			AND cur."rateLimitMax" IS NOT NULL AND cur."rateLimitTimeWindow" > 0, false) AS limited,
		-- Better Auth admits the first request of each window even with a
		-- maximum of 0, so a maximum below 1 behaves as 1.
		GREATEST(cur."rateLimitMax", 1)::float8 AS capacity
	FROM cur
), bucket AS (
	-- Tokens now: the stored tokens (a full bucket when unset) plus the
	-- refill since the last admitted request, capacity per window, capped.
	SELECT calc.*,
		CASE WHEN limited THEN LEAST(capacity, COALESCE(bucket_tokens, capacity)
			+ GREATEST(EXTRACT(EPOCH FROM ($2::timestamptz - COALESCE(bucket_at, $2::timestamptz))) * 1000, 0)::float8
				* capacity / "rateLimitTimeWindow")
		END AS tokens,
		-- An unlimited key has no budget that a use could exceed (see
		-- Plugin.use).
		("remaining" IS NULL AND NOT limited) AS unlimited
	FROM calc
), verdict AS (
	SELECT bucket.*, CASE
		WHEN $6::text IS NOT NULL
			AND NOT ((COALESCE("configId", '') IN ('', 'default') AND $6::text IN ('', 'default')) OR "configId" = $6::text)
			THEN 'INVALID_API_KEY'
		WHEN "enabled" = false THEN 'KEY_DISABLED'
		WHEN "expiresAt" IS NOT NULL AND $2::timestamptz > "expiresAt" THEN 'KEY_EXPIRED'
		WHEN $7::boolean AND owner_id IS NULL THEN 'INVALID_REFERENCE_ID_FROM_API_KEY'
		WHEN COALESCE(owner_banned, false) AND (owner_ban_expires IS NULL OR owner_ban_expires >= $2::timestamptz)
			THEN 'USER_BANNED'
		WHEN $3::int = 2 OR ($3::int = 1 AND NOT COALESCE(authd_apikey_json("permissions") @> $4::jsonb, false))
			THEN 'KEY_NOT_FOUND'
		WHEN tokens < 1 THEN 'RATE_LIMITED'
		WHEN "remaining" IS NOT NULL AND (CASE WHEN refill_due THEN "refillAmount" ELSE "remaining" END) < 1
			THEN 'USAGE_EXCEEDED'
		ELSE 'VALID'
	END AS code
	FROM bucket
)`
}

// ownerColumns selects the owner's columns of the verdict.
const ownerColumns = `v.owner_id, v.owner_name, v.owner_email, v.owner_email_verified, v.owner_image,
	v.owner_created_at, v.owner_updated_at, v.owner_role, v.owner_banned, v.owner_ban_reason, v.owner_ban_expires`

// useKeySQL verifies and uses a key in one statement, so the checks and
// the accounting cannot interleave with another replica's: the row lock
// of verdictCTEs(true) is held until the use is written.
var useKeySQL = verdictCTEs(true) + `, used AS (
	UPDATE "apikey" k SET
		"remaining" = CASE WHEN v.refill_due THEN v."refillAmount" - 1 ELSE v."remaining" - 1 END,
		"lastRefillAt" = CASE WHEN v.refill_due THEN $2::timestamptz ELSE v."lastRefillAt" END,
		"requestCount" = COALESCE(v."requestCount", 0) + 1,
		"lastRequest" = $2::timestamptz,
		"updatedAt" = $2::timestamptz,
		"authdRateLimitTokens" = CASE WHEN v.limited THEN v.tokens - 1 END,
		"authdRateLimitUpdatedAt" = CASE WHEN v.limited THEN GREATEST(v.bucket_at, $2::timestamptz) END
	FROM verdict v
	WHERE k."id" = v."id" AND v.code = 'VALID'
	RETURNING ` + columnList("k") + `
)
SELECT v.code, v.tokens, v.capacity, v."rateLimitTimeWindow", ` + usedColumns() + `, ` + ownerColumns + `
FROM verdict v LEFT JOIN used ON true`

// readKeySQL judges an attempt on the row as the statement's snapshot
// shows it, and reports whether the key is unlimited. It takes no lock
// and writes nothing. Its parameters are useKeySQL's.
var readKeySQL = verdictCTEs(false) + `
SELECT v.code, v.unlimited, v.tokens, v.capacity, v."rateLimitTimeWindow", ` + columnList("v") + `, ` + ownerColumns + `
FROM verdict v`

// usedColumns selects the updated row, falling back to the row as read for
// the NOT NULL columns, so that a rejection (no updated row) still scans.
func usedColumns() string {
	notNull := map[string]bool{`"id"`: true, `"configId"`: true, `"referenceId"`: true, `"key"`: true,
		`"createdAt"`: true, `"updatedAt"`: true}
	cols := make([]string, len(keyColumns))
	for i, c := range keyColumns {
		if notNull[c] {
			cols[i] = "COALESCE(used." + c + ", v." + c + ")"
		} else {
			cols[i] = "used." + c
		}
	}
	return strings.Join(cols, ", ")
}

// permissionMode turns required permissions into the statement's mode and
// parameter. Better Auth grants a request only when every resource it
// names lists every requested action. An empty request, or a resource with
// no actions, is never granted. JSONB containment (@>) of the request in
// the key's permissions is exactly that rule.
func permissionMode(required map[string][]string) (int, *string, error) {
	if required == nil {
		return permissionsNone, nil, nil
	}
	if len(required) == 0 {
		return permissionsImpossible, nil, nil
	}
	for _, actions := range required {
		if len(actions) == 0 {
			return permissionsImpossible, nil, nil
		}
	}
	data, err := json.Marshal(required)
	if err != nil {
		return 0, nil, err
	}
	s := string(data)
	return permissionsContained, &s, nil
}

// useKey runs useKeySQL: one round trip to Postgres per attempt.
func useKey(ctx context.Context, db store.DB, req useRequest, rateLimitOn bool) (*useResult, error) {
	res, _, err := judge(ctx, db, useKeySQL, false, req, rateLimitOn)
	return res, err
}

// readKey runs readKeySQL and also reports whether the key is unlimited.
// The verdict is that of useKey on the same row, but nothing is written:
// on CodeValid the caller still has to record the use.
func readKey(ctx context.Context, db store.DB, req useRequest, rateLimitOn bool) (*useResult, bool, error) {
	return judge(ctx, db, readKeySQL, true, req, rateLimitOn)
}

// judge runs useKeySQL or readKeySQL, whose result columns differ only in
// readKeySQL's leading unlimited flag.
func judge(ctx context.Context, db store.DB, sql string, withUnlimited bool, req useRequest, rateLimitOn bool) (*useResult, bool, error) {
	mode, perms, err := permissionMode(req.Required)
	if err != nil {
		return nil, false, err
	}
	var (
		res       useResult
		unlimited bool
		tokens    *float64
		capacity  float64
		window    *int64
		k         Key
		owner     ownerRow
	)

	targets := []any{&res.Code}
	if withUnlimited {
		targets = append(targets, &unlimited)
	}
	targets = append(targets, &tokens, &capacity, &window)
	targets = append(targets, k.scanTargets()...)
	targets = append(targets, owner.targets()...)

	err = db.QueryRow(ctx, sql, req.Hash, req.Now, mode, perms, rateLimitOn, req.ConfigID, req.RequireOwner).
		Scan(targets...)
	if errors.Is(err, pgx.ErrNoRows) {
		// No key has this hash. The response is the same for a key that never
		// existed and one that was deleted, so it reveals nothing.
		return &useResult{Code: CodeInvalidAPIKey}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	switch res.Code {
	case CodeValid:
		res.Key = &k
		res.Owner = owner.user()
	case CodeRateLimited:
		res.TryAgainIn = tryAgainIn(tokens, capacity, window)
	}
	return &res, unlimited, nil
}

// tryAgainIn is the time in whole milliseconds, rounded up, until the
// bucket refills to one token: refill runs at capacity tokens per window.
func tryAgainIn(tokens *float64, capacity float64, window *int64) int64 {
	if tokens == nil || window == nil || capacity <= 0 {
		return 0
	}
	wait := int64(math.Ceil((1 - *tokens) * float64(*window) / capacity))
	return max(wait, 1)
}

// ownerRow contains the key owner's user columns, all NULL when the owner has
// no user row.
type ownerRow struct {
	id, name, email      *string
	emailVerified        *bool
	image                *string
	createdAt, updatedAt *time.Time
	role                 *string
	banned               *bool
	banReason            *string
	banExpires           *time.Time
}

func (o *ownerRow) targets() []any {
	return []any{&o.id, &o.name, &o.email, &o.emailVerified, &o.image, &o.createdAt, &o.updatedAt,
		&o.role, &o.banned, &o.banReason, &o.banExpires}
}

func (o *ownerRow) user() *store.User {
	if o.id == nil {
		return nil
	}
	u := &store.User{ID: *o.id, Image: o.image, Role: o.role, Banned: o.banned, BanReason: o.banReason,
		BanExpires: o.banExpires}
	if o.name != nil {
		u.Name = *o.name
	}
	if o.email != nil {
		u.Email = *o.email
	}
	if o.emailVerified != nil {
		u.EmailVerified = *o.emailVerified
	}
	if o.createdAt != nil {
		u.CreatedAt = *o.createdAt
	}
	if o.updatedAt != nil {
		u.UpdatedAt = *o.updatedAt
	}
	return u
}
