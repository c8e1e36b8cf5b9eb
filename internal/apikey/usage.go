package apikey

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// use judges an attempt to use a key and records the use when it succeeds.
//
// A key with a remaining count or a rate limit in force goes through
// useKey, whose locked statement checks and writes in one step, exact under
// any concurrency. An unlimited key (no remaining count and no rate limit in
// force) has no budget that concurrent uses could overrun. For such a key
// the row lock and the synchronous write would only cost time, because
// every use of a hot key would queue on the lock and wait for a WAL flush.
// So readKey judges the attempt from a plain read, with the same checks and
// errors, and the use (requestCount + 1, lastRequest) goes to the in-memory
// counter that the flusher writes every UsageFlushInterval.
//
// The read comes first. An unlimited key costs one round trip, a rejection
// ends at the read (neither path writes a rejection), and a limited key
// that passes the read costs the locked statement on top. The verdict is
// never cached: each attempt reads the row again, so disabling, deleting,
// expiring or limiting a key, and banning its owner, apply from the next
// request on.
func (p *Plugin) use(ctx context.Context, req useRequest) (*useResult, error) {
	db, rateLimitOn := p.svc.Store.Pool, p.cfg.RateLimitEnabled
	if !p.usage.running.Load() {
		return useKey(ctx, db, req, rateLimitOn)
	}
	res, unlimited, err := readKey(ctx, db, req, rateLimitOn)
	if err != nil || res.Code != CodeValid {
		return res, err
	}
	if !unlimited {
		return useKey(ctx, db, req, rateLimitOn)
	}
	pending := p.usage.add(res.Key.ID, req.Now)
	// Better Auth returns the key as it is after the use. The stored count
	// lacks the uses that this replica has not written yet (and those of
	// other replicas), so the count shown is close to, not exactly, the one
	// that the row will hold.
	k := res.Key
	count := pending
	if k.RequestCount != nil {
		count += *k.RequestCount
	}
	last := req.Now
	k.RequestCount, k.LastRequest, k.UpdatedAt = &count, &last, req.Now
	return res, nil
}

// usageCounter holds the uses of unlimited keys that are not written yet.
// Each replica counts its own uses and adds them to the rows, so replicas
// need no coordination.
type usageCounter struct {
	// running is true while the flusher runs. Only then does use count in
	// memory. Otherwise useKey writes every use at once.
	running atomic.Bool

	mu      sync.Mutex
	pending map[string]pendingUse // by key id

	// flushing admits one flush at a time. It is a channel rather than a
	// mutex, so that waiting for it can end with a context.
	flushing chan struct{}
}

// pendingUse is the increment that a flush adds to one key's row.
type pendingUse struct {
	count int64
	last  time.Time
}

func newUsageCounter() *usageCounter {
	return &usageCounter{pending: map[string]pendingUse{}, flushing: make(chan struct{}, 1)}
}

// add counts one use of key id at now and returns the key's count of
// unwritten uses.
func (u *usageCounter) add(id string, now time.Time) int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	p := u.pending[id]
	p.count++
	if now.After(p.last) {
		p.last = now
	}
	u.pending[id] = p
	return p.count
}

// restore puts back the uses of a batch that could not be written, so the
// next flush tries again.
func (u *usageCounter) restore(batch map[string]pendingUse) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for id, b := range batch {
		p := u.pending[id]
		p.count += b.count
		if b.last.After(p.last) {
			p.last = b.last
		}
		u.pending[id] = p
	}
}

// flushUsageSQL adds the counted uses to their rows in one statement. A key
// deleted meanwhile matches no row and its uses are dropped. requestCount
// stops at 2147483647, the largest value of its integer column, rather
// than failing the whole batch. lastRequest and updatedAt only move
// forward, since another replica or the locked statement may have written
// a later use already.
const flushUsageSQL = `UPDATE "apikey" k SET
	"requestCount" = LEAST(COALESCE(k."requestCount", 0)::bigint + u.n, 2147483647),
	"lastRequest" = GREATEST(k."lastRequest", u.last),
	"updatedAt" = GREATEST(k."updatedAt", u.last)
FROM unnest($1::text[], $2::bigint[], $3::timestamptz[]) AS u(id, n, last)
WHERE k."id" = u.id`

// flushBatch bounds the keys of one flush statement, so that one statement
// never takes very many row locks or very large parameters.
const flushBatch = 5000

// flushTimeout bounds each periodic flush.
const flushTimeout = 30 * time.Second

// Flush writes every use of an unlimited key counted so far. Uses that
// could not be written stay counted for the next flush, and the error
// reports how many. The flusher calls it every UsageFlushInterval, and Stop once
// more after the flusher has ended; tests call it to read exact counts.
func (p *Plugin) Flush(ctx context.Context) error {
	u := p.usage
	select {
	case u.flushing <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wait for the running flush of API key use counts: %w", ctx.Err())
	}
	defer func() { <-u.flushing }()

	u.mu.Lock()
	batch := u.pending
	u.pending = make(map[string]pendingUse, len(batch))
	u.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}

	// Sorted ids make every replica lock the rows in the same order when
	// Postgres joins in the array's order, which avoids most deadlocks
	// between two flushes. A deadlock that still happens fails one flush,
	// whose uses are kept and written by the next one.
	ids := make([]string, 0, len(batch))
	for id := range batch {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	failed := map[string]pendingUse{}
	var firstErr error
	for chunk := range slices.Chunk(ids, flushBatch) {
		counts := make([]int64, len(chunk))
		lasts := make([]time.Time, len(chunk))
		for i, id := range chunk {
			counts[i], lasts[i] = batch[id].count, batch[id].last
		}
		// An error after Postgres committed (the connection lost while the
		// reply is on its way) adds this chunk's uses twice, at the next
		// flush. Dropping them instead would lose them whenever the
		// statement failed, which is the more common case.
		if _, err := p.svc.Store.Pool.Exec(ctx, flushUsageSQL, chunk, counts, lasts); err != nil {
			for _, id := range chunk {
				failed[id] = batch[id]
			}
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if firstErr == nil {
		return nil
	}
	u.restore(failed)
	var uses int64
	for _, f := range failed {
		uses += f.count
	}
	return fmt.Errorf("write the use counts of %d API keys (%d uses, kept for the next flush): %w",
		len(failed), uses, firstErr)
}

// runUsageFlush writes the counted uses every UsageFlushInterval until ctx
// ends. A flush in progress is not cancelled with ctx: cancelling it could
// leave unknown whether Postgres applied it.
func (p *Plugin) runUsageFlush(ctx context.Context) {
	ticker := time.NewTicker(p.cfg.UsageFlushInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
			if err := p.Flush(flushCtx); err != nil {
				p.svc.Log.ErrorContext(ctx, "flush API key use counts", "error", err)
			}
			cancel()
		}
	}
}
