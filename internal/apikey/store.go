package apikey

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/authd/authd/internal/store"
)

// columnList joins keyColumns, each prefixed with alias when one is given.
func columnList(alias string) string {
	if alias == "" {
		return strings.Join(keyColumns, ", ")
	}
	cols := make([]string, len(keyColumns))
	for i, c := range keyColumns {
		cols[i] = alias + "." + c
	}
	return strings.Join(cols, ", ")
}

var selectKey = `SELECT ` + columnList("") + ` FROM "apikey" `

// defaultConfigCondition matches keys of the default configuration: Better
// Auth treats a NULL, empty or "default" configId alike. get, update and
// delete only reach these keys, because authd serves one configuration.
const defaultConfigCondition = `("configId" IS NULL OR "configId" IN ('', 'default'))`

func scanOne(row pgx.Row) (*Key, error) {
	var k Key
	if err := row.Scan(k.scanTargets()...); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	return &k, nil
}

// isOutOfRange reports a number that does not fit its column: the 32-bit
// integer columns of a table that Better Auth created.
func isOutOfRange(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "22003"
}

// InsertKey stores a new key with every column set, as Better Auth does.
// Numbers are sent as bigint and converted by Postgres, so a value too
// large for a 32-bit column of Better Auth's table fails with
// numeric_value_out_of_range (see isOutOfRange) rather than in the driver.
func InsertKey(ctx context.Context, db store.DB, k *Key) error {
	_, err := db.Exec(ctx, `INSERT INTO "apikey" (`+columnList("")+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bigint, $9::bigint, $10, $11, $12, $13::bigint, $14::bigint,
			$15::bigint, $16::bigint, $17, $18, $19, $20, $21, $22)`,
		k.ID, k.ConfigID, k.Name, k.Start, k.ReferenceID, k.Prefix, k.Hash,
		k.RefillInterval, k.RefillAmount, k.LastRefillAt, k.Enabled, k.RateLimitEnabled,
		k.RateLimitTimeWindow, k.RateLimitMax, k.RequestCount, k.Remaining, k.LastRequest,
		k.ExpiresAt, k.CreatedAt, k.UpdatedAt, k.Permissions, k.Metadata)
	return err
}

// KeyByID returns a key of the default configuration, owned by ownerID
// unless ownerID is empty (a service caller). A key of another owner is
// store.ErrNotFound too, so a caller cannot probe for other users' key ids.
func KeyByID(ctx context.Context, db store.DB, id, ownerID string) (*Key, error) {
	return scanOne(db.QueryRow(ctx, selectKey+`WHERE "id" = $1 AND ($2 = '' OR "referenceId" = $2) AND `+
		defaultConfigCondition, id, ownerID))
}

// RepairMetadata rewrites metadata that Better Auth before 1.5 encoded
// twice, only if the column still contains the text that was read.
func RepairMetadata(ctx context.Context, db store.DB, id, old, fixed string) error {
	_, err := db.Exec(ctx, `UPDATE "apikey" SET "metadata" = $3 WHERE "id" = $1 AND "metadata" = $2`, id, old, fixed)
	return err
}

// DeleteKey deletes a key of the default configuration, owned by ownerID
// unless ownerID is empty, and reports whether one was deleted. One
// statement, so a key deleted concurrently is simply not found.
func DeleteKey(ctx context.Context, db store.DB, id, ownerID string) (bool, error) {
	tag, err := db.Exec(ctx, `DELETE FROM "apikey" WHERE "id" = $1 AND ($2 = '' OR "referenceId" = $2) AND `+
		defaultConfigCondition, id, ownerID)
	return tag.RowsAffected() > 0, err
}

// keyChanges are the columns an update writes. A nil field is left alone
// unless its Set flag requests NULL.
type keyChanges struct {
	Name                *string
	Enabled             *bool
	SetExpiresAt        bool
	ExpiresAt           *time.Time
	SetMetadata         bool
	Metadata            *string
	Remaining           *int64
	SetRefill           bool
	RefillAmount        *int64
	RefillInterval      *int64
	RateLimitEnabled    *bool
	RateLimitTimeWindow *int64
	RateLimitMax        *int64
	SetPermissions      bool
	Permissions         *string
}

// empty reports whether nothing would change.
func (c *keyChanges) empty() bool {
	return c.Name == nil && c.Enabled == nil && !c.SetExpiresAt && !c.SetMetadata && c.Remaining == nil &&
		!c.SetRefill && c.RateLimitEnabled == nil && c.RateLimitTimeWindow == nil && c.RateLimitMax == nil &&
		!c.SetPermissions
}

// UpdateKey writes changes to a key of the default configuration owned by
// ownerID (any owner when empty) and returns the new row, or
// store.ErrNotFound. The owner check and the write are one statement, so a
// key deleted or handed over meanwhile is not written.
func UpdateKey(ctx context.Context, db store.DB, id, ownerID string, c *keyChanges, now time.Time) (*Key, error) {
	sets := []string{`"updatedAt" = $3`}
	args := []any{id, ownerID, now}
	set := func(column string, value any) {
		args = append(args, value)
		cast := ""
		switch value.(type) {
		case int64, *int64:
			// As in InsertKey: Postgres, not the driver, checks the range.
			cast = "::bigint"
		}
		sets = append(sets, fmt.Sprintf(`%s = $%d%s`, column, len(args), cast))
	}
	if c.Name != nil {
		set(`"name"`, *c.Name)
	}
	if c.Enabled != nil {
		set(`"enabled"`, *c.Enabled)
	}
	if c.SetExpiresAt {
		set(`"expiresAt"`, c.ExpiresAt)
	}
	if c.SetMetadata {
		set(`"metadata"`, c.Metadata)
	}
	if c.Remaining != nil {
		set(`"remaining"`, *c.Remaining)
	}
	if c.SetRefill {
		set(`"refillAmount"`, c.RefillAmount)
		set(`"refillInterval"`, c.RefillInterval)
	}
	if c.RateLimitEnabled != nil {
		set(`"rateLimitEnabled"`, *c.RateLimitEnabled)
	}
	if c.RateLimitTimeWindow != nil {
		set(`"rateLimitTimeWindow"`, *c.RateLimitTimeWindow)
	}
	if c.RateLimitMax != nil {
		set(`"rateLimitMax"`, *c.RateLimitMax)
	}
	if c.SetPermissions {
		set(`"permissions"`, c.Permissions)
	}
	return scanOne(db.QueryRow(ctx, `UPDATE "apikey" SET `+strings.Join(sets, ", ")+`
		WHERE "id" = $1 AND ($2 = '' OR "referenceId" = $2) AND `+defaultConfigCondition+`
		RETURNING `+columnList(""), args...))
}

// sortColumns maps the sortBy values that list accepts (Better Auth's
// field names) to columns. userId is the field's name before Better Auth
// 1.5.
var sortColumns = map[string]string{
	"id": `"id"`, "configId": `"configId"`, "name": `"name"`, "start": `"start"`,
	"referenceId": `"referenceId"`, "userId": `"referenceId"`, "prefix": `"prefix"`, "key": `"key"`,
	"refillInterval": `"refillInterval"`, "refillAmount": `"refillAmount"`, "lastRefillAt": `"lastRefillAt"`,
	"enabled": `"enabled"`, "rateLimitEnabled": `"rateLimitEnabled"`,
	"rateLimitTimeWindow": `"rateLimitTimeWindow"`, "rateLimitMax": `"rateLimitMax"`,
	"requestCount": `"requestCount"`, "remaining": `"remaining"`, "lastRequest": `"lastRequest"`,
	"expiresAt": `"expiresAt"`, "createdAt": `"createdAt"`, "updatedAt": `"updatedAt"`,
	"permissions": `"permissions"`, "metadata": `"metadata"`,
}

// listQuery selects a page of one owner's keys.
type listQuery struct {
	OwnerID string
	// ConfigID, when set, keeps only keys of that configuration.
	ConfigID *string
	// SortColumn is a value of sortColumns, or empty for creation order.
	SortColumn string
	Descending bool
	Limit      *int64
	Offset     *int64
}

// ListKeys returns a page of keys and the number of keys before paging.
// Paging happens in SQL. total comes from a window count, or from a second
// count when the page is empty.
func ListKeys(ctx context.Context, db store.DB, q listQuery) ([]*Key, int64, error) {
	where := `"referenceId" = $1`
	args := []any{q.OwnerID}
	if q.ConfigID != nil {
		args = append(args, *q.ConfigID)
		n := len(args)
		where += fmt.Sprintf(` AND ((%s AND $%d IN ('', 'default')) OR "configId" = $%d)`, defaultConfigCondition, n, n)
	}
	order := `"createdAt", "id"`
	if q.SortColumn != "" {
		dir := "ASC"
		if q.Descending {
			dir = "DESC"
		}
		order = q.SortColumn + " " + dir + `, "id"`
	}
	sql := `SELECT ` + columnList("") + `, count(*) OVER () FROM "apikey" WHERE ` + where + ` ORDER BY ` + order
	if q.Limit != nil {
		args = append(args, *q.Limit)
		sql += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	if q.Offset != nil {
		args = append(args, *q.Offset)
		sql += fmt.Sprintf(` OFFSET $%d`, len(args))
	}
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var keys []*Key
	var total int64
	for rows.Next() {
		var k Key
		if err := rows.Scan(append(k.scanTargets(), &total)...); err != nil {
			return nil, 0, err
		}
		keys = append(keys, &k)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(keys) > 0 {
		return keys, total, nil
	}
	countArgs := args[:1]
	if q.ConfigID != nil {
		countArgs = args[:2]
	}
	err = db.QueryRow(ctx, `SELECT count(*) FROM "apikey" WHERE `+where, countArgs...).Scan(&total)
	return keys, total, err
}

// DeleteExpiredKeys deletes up to batch keys whose expiresAt is before
// cutoff and returns how many it deleted. SKIP LOCKED lets several
// replicas sweep at once without waiting on each other or on verifications
// that hold a key's row.
func DeleteExpiredKeys(ctx context.Context, db store.DB, cutoff time.Time, batch int) (int64, error) {
	tag, err := db.Exec(ctx, `DELETE FROM "apikey" WHERE "id" IN (
			SELECT "id" FROM "apikey" WHERE "expiresAt" IS NOT NULL AND "expiresAt" < $1
			ORDER BY "expiresAt" LIMIT $2 FOR UPDATE SKIP LOCKED)`, cutoff, batch)
	return tag.RowsAffected(), err
}
