// Package apikey is Better Auth's API Key plugin: users create, list,
// update and delete their keys under /api-key, application backends
// verify them with a service key, and a key sent in x-api-key signs a
// request in as its owner.
//
// Keys are stored as Better Auth stores them (SHA-256, unpadded base64url,
// in its "apikey" table), so keys that Better Auth issued keep working.
// Verification of a key with a remaining count or a rate limit is one
// locked Postgres statement per attempt, exact under any number of
// replicas. The rate limit is a token bucket kept on the key's row.
// Verification of an unlimited key is one read, and its uses are counted in
// memory and written in batches (see Plugin.use). Expired keys are removed by a periodic sweep rather than when they
// are presented.
package apikey

import (
	"time"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/ratelimit"
)

// Plugin serves the /api-key endpoints and the x-api-key session.
type Plugin struct {
	svc *auth.Service
	cfg Config
	// onVerify observes every verification outcome (metrics). It is set
	// before the server starts and only read afterwards.
	onVerify func(code string)
	// workers are the running background loops, nil before Start.
	workers []worker
	usage   *usageCounter
}

// New builds the plugin. A zero Config (no LoadConfig) gets the defaults.
func New(svc *auth.Service, cfg Config) (*Plugin, error) {
	if cfg.KeyLength == 0 {
		cfg = defaults()
	}
	p := &Plugin{svc: svc, cfg: cfg, usage: newUsageCounter()}
	if built != nil {
		built(p)
	}
	return p, nil
}

// built, when set, is called with every plugin that New returns. Tests set
// it before building any server, to reach a server's plugin (its Flush).
var built func(*Plugin)

// Mount implements auth.Plugin. The first five endpoints are Better
// Auth's public ones. Better Auth serves verify and
// delete-all-expired-api-keys only in process, so here they need a service key.
func (p *Plugin) Mount(r *auth.Router) {
	r.Post("/api-key/create", p.create)
	r.Get("/api-key/get", p.get)
	r.Post("/api-key/update", p.update)
	r.Post("/api-key/delete", p.delete)
	r.Get("/api-key/list", p.list)
	r.Post("/api-key/verify", p.verify)
	r.Post("/api-key/delete-all-expired-api-keys", p.deleteAllExpired)
}

// OnVerify registers fn to observe the outcome of every verification, by
// the verify endpoint or an x-api-key request: CodeValid ("VALID") for a
// success, otherwise the error code. Register before serving requests.
func (p *Plugin) OnVerify(fn func(code string)) { p.onVerify = fn }

func (p *Plugin) observe(code string) {
	if p.onVerify != nil {
		p.onVerify(code)
	}
}

// verifyRateLimitWindow is the window of the core rate limiter's rule for
// POST /api-key/verify; Config.VerifyRateLimitMax is its allowance.
const verifyRateLimitWindow = 10 * time.Second

// RateLimitRules implements auth.RateLimitRuleProvider. Better Auth has
// no rule for verify because it does not serve verify over HTTP.
func (p *Plugin) RateLimitRules() []ratelimit.PathRule {
	return []ratelimit.PathRule{{Path: "/api-key/verify",
		Rule: ratelimit.Rule{Window: verifyRateLimitWindow, Max: p.cfg.VerifyRateLimitMax}}}
}
