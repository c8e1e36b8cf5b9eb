package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is a Store shared by every replica that uses the same database:
// the counters live in the authd_rate_limit table, so a client cannot get
// Max requests per replica by spreading them over a load balancer.
type Postgres struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	// now is the cleanup's clock; requests pass their own time to Allow.
	now             func() time.Time
	cleanupInterval time.Duration
	cleanupBatch    int

	mu   sync.Mutex
	stop context.CancelFunc
	done chan struct{}
}

// PostgresOptions tunes the cleanup of expired counters.
type PostgresOptions struct {
	// CleanupInterval is the time between two cleanups; zero means one
	// minute.
	CleanupInterval time.Duration
	// CleanupBatch bounds the rows one DELETE removes; zero means 1000.
	CleanupBatch int
	// Now is the clock of the cleanup; nil means time.Now.
	Now func() time.Time
}

// NewPostgres returns a store on pool. Call Start to run the periodic
// cleanup of expired counters.
func NewPostgres(pool *pgxpool.Pool, log *slog.Logger, opts PostgresOptions) *Postgres {
	p := &Postgres{pool: pool, log: log, now: opts.Now, cleanupInterval: opts.CleanupInterval, cleanupBatch: opts.CleanupBatch}
	if p.now == nil {
		p.now = time.Now
	}
	if p.cleanupInterval <= 0 {
		p.cleanupInterval = time.Minute
	}
	if p.cleanupBatch <= 0 {
		p.cleanupBatch = 1000
	}
	return p
}

// allowSQL is Decide as one statement, so that concurrent requests on any
// number of replicas are serialised by the row lock that INSERT … ON
// CONFLICT DO UPDATE takes:
//
//   - no row, or the window has passed since the last admitted request:
//     admit and start a new window with count 1;
//   - count has reached max: reject. The WHERE clause of DO UPDATE fails,
//     so the row is left exactly as it was (a rejected request neither
//     counts nor slides the window) and the CTE returns no row;
//   - otherwise admit, count + 1, and slide the window to now.
//
// The outer SELECT reads the last admitted request for the Retry-After
// value. It reads the statement's snapshot, which may miss a row that a
// concurrent transaction inserted an instant earlier, so Allow falls back
// to the whole window then.
//
// $1 key, $2 now (epoch ms), $3 window (ms), $4 max.
const allowSQL = `
WITH admitted AS (
	INSERT INTO "authd_rate_limit" AS r ("key", "count", "lastRequest", "windowMs")
	VALUES ($1, 1, $2, $3)
	ON CONFLICT ("key") DO UPDATE SET
		"count" = CASE WHEN $2 - r."lastRequest" >= $3 THEN 1 ELSE r."count" + 1 END,
		"lastRequest" = $2,
		"windowMs" = $3
	WHERE $2 - r."lastRequest" >= $3 OR r."count" < $4
	RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM admitted),
	(SELECT "lastRequest" FROM "authd_rate_limit" WHERE "key" = $1)`

// Allow implements Store with one round trip to Postgres.
func (p *Postgres) Allow(ctx context.Context, key string, rule Rule, now time.Time) (bool, time.Duration, error) {
	key = shortKey(key)
	nowMs := now.UnixMilli()
	windowMs := rule.Window.Milliseconds()
	var allowed bool
	var last *int64
	err := p.pool.QueryRow(ctx, allowSQL, key, nowMs, windowMs, rule.Max).Scan(&allowed, &last)
	if err != nil {
		return false, 0, fmt.Errorf("count request in authd_rate_limit: %w", err)
	}
	if allowed {
		return true, 0, nil
	}
	retry := rule.Window
	if last != nil {
		retry = time.Duration(*last+windowMs-nowMs) * time.Millisecond
	}
	if retry <= 0 {
		// The row's window ended between the statement's snapshot and its
		// lock; the next request starts a new window.
		retry = time.Millisecond
	}
	return false, retry, nil
}

// maxKeyBytes bounds the stored key. A longer key (a client sending a huge
// unknown path) is replaced by its SHA-256, because a Postgres index entry
// must stay below about 2.7 kB and a failing statement would admit the
// request.
const maxKeyBytes = 256

func shortKey(key string) string {
	if len(key) <= maxKeyBytes {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// cleanupSQL deletes up to $2 counters whose window has passed. SKIP LOCKED
// leaves rows alone that a request or another replica's cleanup holds, so
// cleanups on many replicas neither wait for each other nor for traffic.
// Deleting an expired row changes no decision, because the next request
// for its key starts a new window either way (Decide's first case).
const cleanupSQL = `
DELETE FROM "authd_rate_limit"
WHERE "key" IN (
	SELECT "key" FROM "authd_rate_limit"
	WHERE "lastRequest" + "windowMs" <= $1
	LIMIT $2
	FOR UPDATE SKIP LOCKED
)`

// Cleanup deletes the counters that expired before now and returns how
// many it removed. It deletes in batches until a batch comes back short.
func (p *Postgres) Cleanup(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for {
		tag, err := p.pool.Exec(ctx, cleanupSQL, now.UnixMilli(), p.cleanupBatch)
		if err != nil {
			return total, fmt.Errorf("delete expired rows of authd_rate_limit: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < int64(p.cleanupBatch) {
			return total, nil
		}
	}
}

// Start runs Cleanup every CleanupInterval until Stop. It implements the
// app's Starter interface.
func (p *Postgres) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop != nil {
		return errors.New("rate limit cleanup already started")
	}
	ctx, cancel := context.WithCancel(ctx)
	p.stop, p.done = cancel, make(chan struct{})
	go p.loop(ctx, p.done)
	return nil
}

func (p *Postgres) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	ticker := time.NewTicker(p.cleanupInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		n, err := p.Cleanup(ctx, p.now())
		switch {
		case err != nil && ctx.Err() == nil:
			p.log.Error("rate limit cleanup failed; expired counters stay until the next run", "error", err)
		case n > 0:
			p.log.Debug("rate limit cleanup", "deleted", n)
		}
	}
}

// Stop ends the cleanup loop and waits for it, or for ctx.
func (p *Postgres) Stop(ctx context.Context) error {
	p.mu.Lock()
	stop, done := p.stop, p.done
	p.stop, p.done = nil, nil
	p.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop rate limit cleanup: %w", ctx.Err())
	}
}
