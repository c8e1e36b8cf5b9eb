package auth_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/password"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/testdb"
)

// Rows and cookie captured from the reference server (Better Auth 1.7.5 on
// Postgres, secret authtest.Secret) after one sign-up:
//
//	curl -H 'content-type: application/json' \
//	  -d '{"name":"Oracle Olga","email":"Olga@Example.com","password":"oracle-pass-123"}' \
//	  http://127.0.0.1:3220/api/auth/sign-up/email
//
// Better Auth 1.7.5 has no "issuer" column in "account"; the rows below are
// exactly what it stored.
const (
	oraclePassword     = "oracle-pass-123"
	oracleEmail        = "olga@example.com"
	oracleUserID       = "UjuBIyUP1YcUHU5UX5aoikl4AZ0gC0ZA"
	oracleAccountID    = "sZPNntDUga20MZPDOpZOwJRdVsP1eiHv"
	oracleSessionID    = "Sx0MJhd5oE6uWBaR0GcBDSSkpxZhCNYi"
	oracleToken        = "ltAtlAJaK0rKwekexLIwY7i4fy6nwocO"
	oracleHash         = "78b10a3973168f0cc4869c194b63b2c3:79eaf85ec021d8ac5816e6b7ba8ae0a09eaf554e6a2a240422cb1d4fecb0d6bec8a278d9589f28462c1233f0ec93e276fe5e84c720306140fef334c97388ad42"
	oracleSetCookie    = "better-auth.session_token=ltAtlAJaK0rKwekexLIwY7i4fy6nwocO.v7HdIBYggCRHRapMNzAiSvGYcnlwHAg7wQljuTulKKM%3D; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
	oracleSetAuthToken = "ltAtlAJaK0rKwekexLIwY7i4fy6nwocO.v7HdIBYggCRHRapMNzAiSvGYcnlwHAg7wQljuTulKKM="
	oracleCookie       = "better-auth.session_token=ltAtlAJaK0rKwekexLIwY7i4fy6nwocO.v7HdIBYggCRHRapMNzAiSvGYcnlwHAg7wQljuTulKKM%3D"
)

// oracleCreated is when the reference server made the rows.
var oracleCreated = time.Date(2026, 12, 4, 20, 52, 18, 2_000_000, time.UTC)

// insertOracleRows stores the captured rows with the columns Better Auth
// 1.7.5 wrote. withIssuer adds the issuer that authd's own schema requires.
func insertOracleRows(t *testing.T, db store.DB, withIssuer bool) {
	t.Helper()
	ctx := context.Background()
	account := `INSERT INTO "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt")
		VALUES ($1, $2, 'credential', $2, $3, '2026-12-04 20:52:18.007+00', '2026-12-04 20:52:18.007+00')`
	if withIssuer {
		account = `INSERT INTO "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt", "issuer")
			VALUES ($1, $2, 'credential', $2, $3, '2026-12-04 20:52:18.007+00', '2026-12-04 20:52:18.007+00', 'local:credential')`
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt", "role", "banned")
			VALUES ($1, 'Oracle Olga', $2, false, NULL, '2026-12-04 20:52:18.002+00', '2026-12-04 20:52:18.002+00', 'user', false)`,
			[]any{oracleUserID, oracleEmail}},
		{account, []any{oracleAccountID, oracleUserID, oracleHash}},
		{`INSERT INTO "session" ("id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress", "userAgent", "userId")
			VALUES ($1, '2026-12-11 20:52:18.009+00', $2, '2026-12-04 20:52:18.009+00', '2026-12-04 20:52:18.009+00', '', 'curl/7.88.1', $3)`,
			[]any{oracleSessionID, oracleToken, oracleUserID}},
	} {
		if _, err := db.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("insert captured row: %v", err)
		}
	}
}

// checkOracleUser signs the captured user in on srv in both ways: the
// captured cookie, and the password against the captured hash.
func checkOracleUser(t *testing.T, srv *authtest.Server) {
	t.Helper()
	// Half an hour after the capture the session is valid and not yet due
	// for refresh, so get-session returns it without writing.
	srv.Clock.Set(oracleCreated.Add(30 * time.Minute))
	resp := getSession(t, srv, "Cookie", oracleCookie)
	b := wantSessionOf(t, resp, oracleUserID)
	if b.Session["id"] != oracleSessionID || b.Session["expiresAt"] != "2026-12-11T20:52:18.009Z" || b.User["email"] != oracleEmail {
		t.Errorf("session %s", resp.Body)
	}
	wantSessionOf(t, getSession(t, srv, authtest.Bearer(oracleSetAuthToken)...), oracleUserID)
	wantStatus(t, srv.Do("POST", "/sign-in/email", map[string]any{"email": "Olga@Example.com", "password": oraclePassword}), 200)
}

func TestOracleVectors(t *testing.T) {
	t.Run("cookie bytes", func(t *testing.T) {
		if got := codec.Sign(oracleToken); got != oracleSetAuthToken {
			t.Errorf("Sign(%s) = %s, want the reference server's %s", oracleToken, got, oracleSetAuthToken)
		}
		if got := sessionCookie + "=" + encode(codec.Sign(oracleToken)) + "; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"; got != oracleSetCookie {
			t.Errorf("Set-Cookie %s, want %s", got, oracleSetCookie)
		}
	})
	t.Run("hash", func(t *testing.T) {
		ok, err := password.Verify(context.Background(), oracleHash, oraclePassword)
		if err != nil || !ok {
			t.Fatalf("reference hash rejected: ok=%v err=%v", ok, err)
		}
	})
	t.Run("rows in authd database", func(t *testing.T) {
		srv := start(t, nil)
		insertOracleRows(t, srv.App.Store.Pool, true)
		checkOracleUser(t, srv)
	})
}

// Values made by authd (sign-up of anna@example.com with authtest.Secret)
// and accepted by the reference server. The rows went into the reference
// server's database with psql -X -v ON_ERROR_STOP=1 "$ORACLE_DATABASE_URL"
// -f authd-rows.sql, where authd-rows.sql held:
//
//	INSERT INTO "user" ("id","name","email","emailVerified","image","createdAt","updatedAt","role","banned")
//	  VALUES ('su0tHeVnusDYxTmf5FO6gUhYGWVzIfj1','Authd Anna','anna@example.com',false,NULL,
//	    '2026-12-04T20:53:20.041Z','2026-12-04T20:53:20.041Z','user',false);
//	INSERT INTO "account" ("id","accountId","providerId","userId","password","createdAt","updatedAt")
//	  VALUES ('fwrQIveKENss1VZQOLexoIc0J0b8FHvh','su0tHeVnusDYxTmf5FO6gUhYGWVzIfj1','credential',
//	    'su0tHeVnusDYxTmf5FO6gUhYGWVzIfj1','<authdHash>','2026-12-04T20:53:20.041Z','2026-12-04T20:53:20.041Z');
//	INSERT INTO "session" ("id","expiresAt","token","createdAt","updatedAt","ipAddress","userAgent","userId")
//	  VALUES ('vjNnEcKiF2uKubd807ENNsM57Cm4hCyZ','2026-12-11T20:53:20.041Z','8nMNraN7d29QcLHXqu3SKdp0AUOimVwr',
//	    '2026-12-04T20:53:20.041Z','2026-12-04T20:53:20.041Z','127.0.0.1','Go-http-client/1.1',
//	    'su0tHeVnusDYxTmf5FO6gUhYGWVzIfj1');
//
// Then each of these returned 200 from the reference server (the last one
// with a new session):
//
//	curl -H 'Cookie: <authdCookie>' http://127.0.0.1:3220/api/auth/get-session
//	curl -H 'Authorization: Bearer <authdSetAuthToken>' http://127.0.0.1:3220/api/auth/get-session
//	curl -H 'content-type: application/json' -d '{"email":"anna@example.com","password":"authd-pass-456"}' \
//	  http://127.0.0.1:3220/api/auth/sign-in/email
//
// The test below checks that authd still produces and accepts these bytes.
const (
	authdPassword     = "authd-pass-456"
	authdToken        = "8nMNraN7d29QcLHXqu3SKdp0AUOimVwr"
	authdHash         = "8a51de2d7136cf9405465c8885183163:282b4b5b4bc601311e06cc6b3f0e107012b7016ee9880b8686b874689602c6cdacb68cb95f91043335d4730f4fdf86700d68eee4b4d7e670d5ad09024e8a663b"
	authdCookie       = "better-auth.session_token=8nMNraN7d29QcLHXqu3SKdp0AUOimVwr.WNiT6myl71bNWj9h85FxQbRlVFG2keP11hMJeRPqAMM%3D"
	authdSetAuthToken = "8nMNraN7d29QcLHXqu3SKdp0AUOimVwr.WNiT6myl71bNWj9h85FxQbRlVFG2keP11hMJeRPqAMM="
)

func TestAuthdVectors(t *testing.T) {
	if got := codec.Sign(authdToken); got != authdSetAuthToken {
		t.Errorf("Sign(%s) = %s, want %s", authdToken, got, authdSetAuthToken)
	}
	if got := sessionCookie + "=" + encode(codec.Sign(authdToken)); got != authdCookie {
		t.Errorf("cookie %s, want %s", got, authdCookie)
	}
	ok, err := password.Verify(context.Background(), authdHash, authdPassword)
	if err != nil || !ok {
		t.Errorf("authd hash rejected: ok=%v err=%v", ok, err)
	}
}

// A database that Better Auth 1.7.5 created, with its users and sessions,
// must take authd's migrations and keep working with the same secret.
func TestBetterAuthDatabase(t *testing.T) {
	schema, err := os.ReadFile("testdata/oracle_schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	url := testdb.NewEmpty(t)
	ctx := context.Background()
	// pg_dump clears search_path for its session, so the schema gets a
	// connection of its own.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, string(schema)); err != nil {
		t.Fatalf("load the reference schema: %v", err)
	}
	conn.Close(ctx)

	st, err := store.Open(ctx, url, store.PoolOptions{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	insertOracleRows(t, st.Pool, false)
	st.Close()

	if err := store.Migrate(ctx, url); err != nil {
		t.Fatalf("migrate a Better Auth database: %v", err)
	}
	if err := store.Migrate(ctx, url); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	state, err := store.MigrationStatus(ctx, url)
	if err != nil || !state.UpToDate() {
		t.Fatalf("migration state %+v, err %v", state, err)
	}

	srv := authtest.NewWithDatabase(t, url, authtest.Env{"AUTHD_BASE_URL": baseURL})
	checkOracleUser(t, srv)

	t.Run("change password", func(t *testing.T) {
		resp := srv.Do("POST", "/change-password", map[string]any{"currentPassword": oraclePassword, "newPassword": "new-pass-789"},
			authtest.Bearer(oracleToken)...)
		wantStatus(t, resp, 200)
		wantStatus(t, srv.Do("POST", "/sign-in/email", map[string]any{"email": oracleEmail, "password": "new-pass-789"}), 200)
	})
	t.Run("list accounts", func(t *testing.T) {
		resp := srv.Do("GET", "/list-accounts", nil, authtest.Bearer(oracleToken)...)
		wantStatus(t, resp, 200)
		var accounts []map[string]any
		resp.Decode(t, &accounts)
		if len(accounts) != 1 || accounts[0]["id"] != oracleAccountID {
			t.Errorf("accounts %s", resp.Body)
		}
	})
	t.Run("new user", func(t *testing.T) {
		u := signUp(t, srv, "after-migration")
		wantStatus(t, srv.Do("POST", "/sign-in/email", map[string]any{"email": u.Email, "password": testPassword}), 200)
	})
	// Better Auth 1.7.5 keeps writing credential accounts without an
	// issuer while it shares the database with authd.
	t.Run("account without issuer", func(t *testing.T) {
		now := srv.Clock.Now()
		srv.Exec(`INSERT INTO "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt") VALUES ('late-user', 'Late', 'late@example.com', false, $1, $1)`, now)
		srv.Exec(`INSERT INTO "account" ("id", "accountId", "providerId", "userId", "password", "createdAt", "updatedAt")
			VALUES ('late-account', 'late-user', 'credential', 'late-user', $1, $2, $2)`, vectorHash, now)
		wantStatus(t, srv.Do("POST", "/sign-in/email", map[string]any{"email": "late@example.com", "password": testPassword}), 200)
	})
}
