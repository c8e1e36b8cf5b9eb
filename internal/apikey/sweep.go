package apikey

import (
	"context"
	"time"
)

// worker is a running background loop.
type worker struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Start implements app.Starter. It starts the periodic deletion of keys
// expired for longer than the grace period, and the flusher of the use
// counts of unlimited keys. Every replica runs both: the deletes skip rows
// that another replica has locked, and each replica adds only its own uses.
func (p *Plugin) Start(ctx context.Context) error {
	if p.workers != nil {
		return nil
	}
	p.workers = []worker{}
	if p.cfg.SweepInterval > 0 {
		p.startWorker(ctx, p.runSweep)
	}
	if p.cfg.UsageFlushInterval > 0 {
		p.usage.running.Store(true)
		p.startWorker(ctx, p.runUsageFlush)
	}
	return nil
}

func (p *Plugin) startWorker(ctx context.Context, run func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := worker{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		run(ctx)
	}()
	p.workers = append(p.workers, w)
}

// Stop implements app.Starter. It stops the workers, waits for a running
// sweep batch or flush to finish, and then writes the uses still counted in
// memory, all within ctx. The server calls it after the listener has
// drained and before the pool closes, so no use is counted after the last
// flush. A use that still arrives is written at once, as with a limited key.
func (p *Plugin) Stop(ctx context.Context) error {
	p.usage.running.Store(false)
	for _, w := range p.workers {
		w.cancel()
	}
	var waitErr error
	for _, w := range p.workers {
		select {
		case <-w.done:
		case <-ctx.Done():
			waitErr = ctx.Err()
		}
		if waitErr != nil {
			break
		}
	}
	p.workers = nil
	if err := p.Flush(ctx); err != nil {
		// The process is about to end, so these uses are lost.
		p.svc.Log.ErrorContext(ctx, "final flush of API key use counts", "error", err)
		return err
	}
	return waitErr
}

func (p *Plugin) runSweep(ctx context.Context) {
	ticker := time.NewTicker(p.cfg.SweepInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			if _, err := p.SweepExpired(ctx); err != nil && ctx.Err() == nil {
				p.svc.Log.ErrorContext(ctx, "sweep expired API keys", "error", err)
			}
		}
	}
}

// SweepExpired deletes the keys whose expiry passed more than the grace
// period ago and returns how many it deleted. Until then an expired key
// fails verification with KEY_EXPIRED, and afterwards with INVALID_API_KEY.
func (p *Plugin) SweepExpired(ctx context.Context) (int64, error) {
	deleted, err := p.deleteExpired(ctx, p.now().Add(-p.cfg.SweepGrace))
	if deleted > 0 {
		p.svc.Log.InfoContext(ctx, "deleted expired API keys", "count", deleted, "grace", p.cfg.SweepGrace.String())
	}
	return deleted, err
}

// deleteExpired deletes keys expired before cutoff in bounded batches.
func (p *Plugin) deleteExpired(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		n, err := DeleteExpiredKeys(ctx, p.svc.Store.Pool, cutoff, sweepBatch)
		total += n
		if err != nil || n < sweepBatch {
			return total, err
		}
	}
}
