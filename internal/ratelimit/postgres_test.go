package ratelimit_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/ratelimit"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/testdb"
)

func openPostgres(t *testing.T, opts ratelimit.PostgresOptions) (*ratelimit.Postgres, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), testdb.New(t), store.PoolOptions{MaxConns: 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return ratelimit.NewPostgres(st.Pool, slog.New(slog.NewTextHandler(io.Discard, nil)), opts), st
}

// uniqueKey keeps the tests of this file apart in the shared table.
func uniqueKey(t *testing.T, suffix string) string {
	return t.Name() + "|" + time.Now().Format("150405.000000000") + "|" + suffix
}

// TestPostgresMatchesMemory replays one request sequence on both stores: the
// shared store must decide exactly as the in-process one.
func TestPostgresMatchesMemory(t *testing.T) {
	pg, _ := openPostgres(t, ratelimit.PostgresOptions{})
	mem := ratelimit.NewMemory()
	ctx := context.Background()
	rule := ratelimit.Rule{Window: 10 * time.Second, Max: 3}
	a, b := uniqueKey(t, "a"), uniqueKey(t, "b")
	t0 := time.UnixMilli(1_700_000_000_000)
	steps := []struct {
		key    string
		offset time.Duration
	}{
		{a, 0}, {a, time.Second}, {a, 2 * time.Second},
		{a, 3 * time.Second},                       // fourth in the window: rejected, changes nothing
		{b, 3 * time.Second},                       // another key has its own counter
		{a, 9 * time.Second},                       // still rejected: the rejection did not slide the window
		{a, 12 * time.Second},                      // 10 s after the last admitted request: new window
		{a, 12*time.Second + 500*time.Millisecond}, // count 2
		{a, 13 * time.Second},                      // count 3
		{a, 14 * time.Second},                      // rejected, retry after 9 s
		{a, 22*time.Second + 999*time.Millisecond}, // rejected: one millisecond short of the window
		{a, 23 * time.Second},                      // 10 s after the last admitted request: admitted
	}
	for i, s := range steps {
		now := t0.Add(s.offset)
		wantOK, wantRetry, _ := mem.Allow(ctx, s.key, rule, now)
		gotOK, gotRetry, err := pg.Allow(ctx, s.key, rule, now)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if gotOK != wantOK || gotRetry.Round(time.Millisecond) != wantRetry.Round(time.Millisecond) {
			t.Errorf("step %d (%s at +%s): postgres = (%v, %s), memory = (%v, %s)",
				i, s.key[len(s.key)-1:], s.offset, gotOK, gotRetry, wantOK, wantRetry)
		}
	}
}

func TestPostgresLongKey(t *testing.T) {
	pg, _ := openPostgres(t, ratelimit.PostgresOptions{})
	rule := ratelimit.Rule{Window: time.Minute, Max: 1}
	key := uniqueKey(t, strings.Repeat("x", 10_000))
	now := time.Now()
	if ok, _, err := pg.Allow(context.Background(), key, rule, now); err != nil || !ok {
		t.Fatalf("first request: allowed=%v err=%v", ok, err)
	}
	if ok, _, err := pg.Allow(context.Background(), key, rule, now); err != nil || ok {
		t.Fatalf("second request: allowed=%v err=%v, want a rejection", ok, err)
	}
}

// TestPostgresConcurrent fires many requests at one key at once: exactly
// Max are admitted.
func TestPostgresConcurrent(t *testing.T) {
	pg, _ := openPostgres(t, ratelimit.PostgresOptions{})
	rule := ratelimit.Rule{Window: time.Minute, Max: 10}
	key := uniqueKey(t, "k")
	now := time.Now()
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, _, err := pg.Allow(context.Background(), key, rule, now)
			if err != nil {
				t.Error(err)
			}
			if ok {
				admitted.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := admitted.Load(); n != int64(rule.Max) {
		t.Fatalf("admitted %d of 100 concurrent requests, want exactly %d", n, rule.Max)
	}
}

func TestPostgresCleanup(t *testing.T) {
	pg, st := openPostgres(t, ratelimit.PostgresOptions{CleanupBatch: 2})
	ctx := context.Background()
	now := time.Now()
	short := ratelimit.Rule{Window: time.Second, Max: 5}
	long := ratelimit.Rule{Window: time.Hour, Max: 5}
	var expired []string
	for i := 0; i < 5; i++ {
		k := uniqueKey(t, "short"+string(rune('a'+i)))
		expired = append(expired, k)
		if _, _, err := pg.Allow(ctx, k, short, now); err != nil {
			t.Fatal(err)
		}
	}
	kept := uniqueKey(t, "long")
	if _, _, err := pg.Allow(ctx, kept, long, now); err != nil {
		t.Fatal(err)
	}

	n, err := pg.Cleanup(ctx, now.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if n < int64(len(expired)) {
		t.Errorf("cleanup deleted %d rows, want at least %d", n, len(expired))
	}
	var left int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM "authd_rate_limit" WHERE "key" = ANY($1)`, expired).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d expired counters left after cleanup", left)
	}
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM "authd_rate_limit" WHERE "key" = $1`, kept).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 1 {
		t.Error("cleanup deleted a counter whose window is still open")
	}
}

func TestPostgresCleanupLoop(t *testing.T) {
	pg, st := openPostgres(t, ratelimit.PostgresOptions{
		CleanupInterval: 20 * time.Millisecond,
		Now:             func() time.Time { return time.Now().Add(time.Hour) },
	})
	ctx := context.Background()
	key := uniqueKey(t, "k")
	if _, _, err := pg.Allow(ctx, key, ratelimit.Rule{Window: time.Second, Max: 1}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := pg.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer pg.Stop(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		var n int
		if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM "authd_rate_limit" WHERE "key" = $1`, key).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cleanup loop did not delete the expired counter within 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestReplicasShareLimit runs two authd replicas on one database with the
// shared store and fires concurrent requests at both: together they admit
// exactly the limit, where in-memory counters would admit it twice.
func TestReplicasShareLimit(t *testing.T) {
	const limit, requests = 20, 120
	env := authtest.Env{
		"AUTHD_RATE_LIMIT":         "on",
		"AUTHD_RATE_LIMIT_STORAGE": "database",
		"AUTHD_RATE_LIMIT_WINDOW":  "1h",
		"AUTHD_RATE_LIMIT_MAX":     "20",
	}
	first := authtest.New(t, env)
	second := authtest.NewWithDatabase(t, first.DatabaseURL, env)
	// Both replicas must count the same client under the same key; the
	// tests' clocks start a few milliseconds apart, which a one-hour window
	// absorbs.
	first.Exec(`DELETE FROM "authd_rate_limit" WHERE "key" LIKE '%|/ok'`)

	var ok, limited, other atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < requests; i++ {
		srv := first
		if i%2 == 1 {
			srv = second
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(srv.Base + "/ok")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusTooManyRequests:
				limited.Add(1)
				if resp.Header.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
			default:
				other.Add(1)
			}
		}()
	}
	wg.Wait()
	t.Logf("two replicas: %d admitted, %d rate limited", ok.Load(), limited.Load())
	if ok.Load() != limit || limited.Load() != requests-limit || other.Load() != 0 {
		t.Fatalf("got %d × 200, %d × 429, %d other; want %d × 200 and %d × 429",
			ok.Load(), limited.Load(), other.Load(), limit, requests-limit)
	}
}

// BenchmarkPostgresAllow measures one counted request against the shared
// table: admitted requests spread over many keys, as many clients make them.
func BenchmarkPostgresAllow(b *testing.B) {
	st, err := store.Open(context.Background(), testdb.New(b), store.PoolOptions{MaxConns: 8})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pg := ratelimit.NewPostgres(st.Pool, slog.New(slog.NewTextHandler(io.Discard, nil)), ratelimit.PostgresOptions{})
	rule := ratelimit.Rule{Window: time.Minute, Max: 1 << 30}
	prefix := "bench|" + time.Now().Format("150405.000000000") + "|"
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := prefix + strconv.FormatInt(n.Add(1)%1000, 10)
			if _, _, err := pg.Allow(context.Background(), key, rule, time.Now()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkMemoryAllow(b *testing.B) {
	m := ratelimit.NewMemory()
	rule := ratelimit.Rule{Window: time.Minute, Max: 1 << 30}
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _, _ = m.Allow(context.Background(), "bench|"+strconv.FormatInt(n.Add(1)%1000, 10), rule, time.Now())
		}
	})
}
