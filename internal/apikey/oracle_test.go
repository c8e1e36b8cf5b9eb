package apikey_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/apikey"
	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/testdb"
)

// A key that Better Auth 1.7.5 created (auth.api.createApiKey with a
// prefix, remaining, refill, rate limit, permissions and metadata), with
// its owner and its row exactly as Better Auth stored them.
const (
	vectorKey    = "ba_mbfKxcrtoHEqZuoZSNEJzyjkluJiIWlPBnGQftGTtynhQAqMSDqEhegfxvfpDYOT"
	vectorHash   = "S--jGz3zG8YEdnZdmJOKaTQNrLoLwlLhvC_hxWuOLOo"
	vectorKeyID  = "HhomSqjRuoJVUttaYxo9r0d3pJiXdc2G"
	vectorUserID = "m0IXBQMLk5dn5d1TJUNN2g4PPWKKr6Kr"
)

func insertVector(t *testing.T, exec func(sql string, args ...any)) {
	t.Helper()
	exec(`INSERT INTO "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt",
			"role", "banned", "banReason", "banExpires")
		VALUES ($1, 'Vector Owner', 'vector@example.com', false, NULL,
			'2026-12-04T21:09:14.372+00:00', '2026-12-04T21:09:14.372+00:00', 'user', false, NULL, NULL)`, vectorUserID)
	exec(`INSERT INTO "apikey" ("id", "configId", "name", "start", "referenceId", "prefix", "key",
			"refillInterval", "refillAmount", "lastRefillAt", "enabled", "rateLimitEnabled", "rateLimitTimeWindow",
			"rateLimitMax", "requestCount", "remaining", "lastRequest", "expiresAt", "createdAt", "updatedAt",
			"permissions", "metadata")
		VALUES ($1, 'default', 'vector', 'ba_mbf', $2, 'ba_', $3, 3600000, 3, NULL, true, true, 60000, 5, 0, 3,
			NULL, NULL, '2026-12-04T21:09:14.457+00:00', '2026-12-04T21:09:14.457+00:00',
			'{"files":["read","write"]}', '{"plan":"pro","seats":2}')`, vectorKeyID, vectorUserID, vectorHash)
}

func TestOracleVectorHash(t *testing.T) {
	t.Parallel()
	if got := apikey.Hash(vectorKey); got != vectorHash {
		t.Errorf("Hash = %s, Better Auth stored %s", got, vectorHash)
	}
	if got := apikey.Start(vectorKey, 6); got == nil || *got != "ba_mbf" {
		t.Errorf("Start = %v, Better Auth stored ba_mbf", got)
	}
}

// checkVector verifies the Better Auth key over HTTP with permissions,
// then uses it as an x-api-key session.
func checkVector(t *testing.T, f *fixture) {
	t.Helper()
	out := f.verify(t, map[string]any{"key": vectorKey, "permissions": map[string]any{"files": []any{"read"}}})
	if out["valid"] != true {
		t.Fatalf("verify of Better Auth's key: %v", out)
	}
	k := out["key"].(map[string]any)
	meta, _ := k["metadata"].(map[string]any)
	if k["id"] != vectorKeyID || k["remaining"] != 2.0 || k["userId"] != vectorUserID || meta["plan"] != "pro" || meta["seats"] != 2.0 {
		t.Errorf("key object %v", k)
	}
	resp := f.Do("GET", "/get-session", nil, "x-api-key", vectorKey)
	if resp.Status != 200 {
		t.Fatalf("x-api-key session: %d %s", resp.Status, resp.Body)
	}
	if user := resp.JSON(t)["user"].(map[string]any); user["id"] != vectorUserID {
		t.Errorf("session user %v", user["id"])
	}
}

func TestOracleKeyVerifies(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	insertVector(t, f.Exec)
	checkVector(t, f)
}

// A database whose apikey table Better Auth's migrator created (32-bit
// integer columns, its own index names) takes authd's migration and keeps
// working: Better Auth's keys verify, and authd's keys fit its columns.
func TestBetterAuthTable(t *testing.T) {
	t.Parallel()
	dbURL := testdb.NewEmpty(t)
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
			t.Fatalf("exec %q: %v", sql, err)
		}
	}
	// The statements of Better Auth 1.7.5's migrator for these tables.
	exec(`create table "user" ("id" text not null primary key, "name" text not null, "email" text not null unique,
		"emailVerified" boolean not null, "image" text, "createdAt" timestamptz default CURRENT_TIMESTAMP not null,
		"updatedAt" timestamptz default CURRENT_TIMESTAMP not null, "role" text, "banned" boolean, "banReason" text,
		"banExpires" timestamptz)`)
	exec(`create table "apikey" ("id" text not null primary key, "configId" text not null, "name" text,
		"start" text, "referenceId" text not null, "prefix" text, "key" text not null, "refillInterval" integer,
		"refillAmount" integer, "lastRefillAt" timestamptz, "enabled" boolean, "rateLimitEnabled" boolean,
		"rateLimitTimeWindow" integer, "rateLimitMax" integer, "requestCount" integer, "remaining" integer,
		"lastRequest" timestamptz, "expiresAt" timestamptz, "createdAt" timestamptz not null,
		"updatedAt" timestamptz not null, "permissions" text, "metadata" text)`)
	exec(`create index "apikey_configId_idx" on "apikey" ("configId")`)
	exec(`create index "apikey_referenceId_idx" on "apikey" ("referenceId")`)
	exec(`create index "apikey_key_idx" on "apikey" ("key")`)
	insertVector(t, exec)

	f := &fixture{Server: authtest.NewWithDatabase(t, dbURL, nil)}
	f.service = serviceKey(t, f.Server)
	f.user = authtest.User{ID: vectorUserID}
	checkVector(t, f)

	_, key := f.serverKey(t, "", map[string]any{"remaining": 2, "rateLimitTimeWindow": 60000})
	if code := f.verifyCode(t, key); code != apikey.CodeValid {
		t.Errorf("authd's key in Better Auth's table: %s", code)
	}
	// Better Auth's columns have 32 bits, and authd reports that instead of failing.
	expectError(t, f.asService("POST", "/api-key/create", map[string]any{"userId": vectorUserID,
		"rateLimitTimeWindow": int64(30 * 24 * time.Hour / time.Millisecond)}), 400, "VALUE_OUT_OF_RANGE")

	var rows int
	if err := f.App.Store.Pool.QueryRow(context.Background(), `SELECT count(*) FROM "apikey"`).Scan(&rows); err != nil || rows != 2 {
		t.Errorf("apikey rows %d (%v), want 2", rows, err)
	}
}
