package apikey

import (
	"context"
	"time"
)

// sweeper is the state of the background sweep.
type sweeper struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Start implements app.Starter: it starts the periodic deletion of keys
// expired for longer than the grace period. Every replica runs it, and the
// deletes skip rows that another replica has locked, so they do not conflict.
func (p *Plugin) Start(ctx context.Context) error {
	if p.cfg.SweepInterval <= 0 || p.sweep.cancel != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.sweep = sweeper{cancel: cancel, done: make(chan struct{})}
	go p.runSweep(ctx, p.sweep.done)
	return nil
}

// Stop implements app.Starter: it stops the sweep and waits for a running
// batch to finish, or for ctx to end.
func (p *Plugin) Stop(ctx context.Context) error {
	if p.sweep.cancel == nil {
		return nil
	}
	p.sweep.cancel()
	select {
	case <-p.sweep.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Plugin) runSweep(ctx context.Context, done chan<- struct{}) {
	defer close(done)
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
