package admin_test

import (
	"net/http"
	"sort"
	"testing"
	"time"
)

// BenchmarkListUsers measures list-users over 10,000 users with a search
// and a filter, the way an admin console pages through users. It reports
// the 50th and 99th percentile of the request time in milliseconds,
// measured around each HTTP request on loopback.
//
//	AUTHD_TEST_DATABASE_URL=$(scripts/pg url) go test -run '^$' -bench ListUsers -benchtime 2000x ./internal/admin/
func BenchmarkListUsers(b *testing.B) {
	srv := freshServer(b, nil)
	// Users are inserted in SQL: signing 10,000 users up would spend
	// minutes in scrypt and measure nothing of list-users. One in twenty is
	// banned, one in a hundred is an admin, as in a real user base.
	srv.Exec(`INSERT INTO "user" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt", "role", "banned")
		SELECT 'bench-' || i,
			initcap(substr(md5(i::text), 1, 6)) || ' ' || initcap(substr(md5((i * 7)::text), 1, 8)),
			'user-' || i || '-' || substr(md5(i::text), 1, 4) || '@example.com',
			i % 3 = 0,
			now() - (i || ' minutes')::interval, now(),
			CASE WHEN i % 100 = 0 THEN 'admin' ELSE 'user' END,
			i % 20 = 0
		FROM generate_series(1, 10000) AS i`)
	srv.Exec(`ANALYZE "user"`)
	admin := signUpNamed(b, srv, "bench-admin")
	setRole(b, srv, admin.ID, "admin")

	queries := []string{
		"searchField=email&searchValue=user-12&filterField=role&filterValue=user&limit=50",
		"searchField=name&searchValue=Ab&filterField=banned&filterValue=false&limit=50",
		"searchField=email&searchOperator=starts_with&searchValue=user-99&filterField=emailVerified&filterValue=true",
		"searchField=email&searchValue=example&filterField=role&filterValue=user&limit=100&offset=5000",
		"searchField=name&searchValue=c&filterField=role&filterValue=admin&sortBy=name&sortDirection=desc",
	}
	for _, q := range queries {
		if resp := get(srv, "/admin/list-users?"+q, admin.Token); resp.Status != http.StatusOK {
			b.Fatalf("list-users?%s: %d %s", q, resp.Status, resp.Body)
		}
	}

	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		q := queries[i%len(queries)]
		start := time.Now()
		resp := get(srv, "/admin/list-users?"+q, admin.Token)
		durations = append(durations, time.Since(start))
		if resp.Status != http.StatusOK {
			b.Fatalf("list-users?%s: %d", q, resp.Status)
		}
	}
	b.StopTimer()
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	at := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(at(1), "max-ms")
}
