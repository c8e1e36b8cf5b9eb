// Package ratelimit is authd's per-client, per-path request limiter, with
// Better Auth's counting algorithm and default rules.
package ratelimit

import (
	"context"
	"math"
	"strings"
	"sync"
	"time"
)

// Rule admits Max requests per Window.
type Rule struct {
	Window time.Duration
	Max    int
}

// Store keeps the counters. Memory is per process; a shared store keeps
// limits across replicas.
type Store interface {
	// Allow counts one request under key and reports whether it is
	// admitted. When it is not, retryAfter is the time until it would be.
	Allow(ctx context.Context, key string, rule Rule, now time.Time) (allowed bool, retryAfter time.Duration, err error)
}

// Decide applies Better Auth's algorithm to one counter: the window slides
// with each admitted request, and a rejected request changes nothing.
// It returns the new count and last-request time to store when admitted.
func Decide(count int, last time.Time, exists bool, rule Rule, now time.Time) (allowed bool, newCount int, retryAfter time.Duration) {
	if !exists || now.Sub(last) >= rule.Window {
		return true, 1, 0
	}
	if count >= rule.Max {
		return false, count, last.Add(rule.Window).Sub(now)
	}
	return true, count + 1, 0
}

// RetryAfterSeconds rounds up as Better Auth's X-Retry-After does.
func RetryAfterSeconds(d time.Duration) int {
	return int(math.Ceil(d.Seconds()))
}

type entry struct {
	count  int
	last   time.Time
	window time.Duration
}

// Memory is an in-process Store.
type Memory struct {
	mu      sync.Mutex
	entries map[string]entry
	inserts int
}

// NewMemory returns an empty in-process store.
func NewMemory() *Memory { return &Memory{entries: map[string]entry{}} }

// Allow implements Store.
func (m *Memory) Allow(_ context.Context, key string, rule Rule, now time.Time) (bool, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, exists := m.entries[key]
	allowed, count, retry := Decide(e.count, e.last, exists, rule, now)
	if !allowed {
		return false, retry, nil
	}
	if !exists {
		m.inserts++
		if m.inserts%4096 == 0 {
			m.sweep(now)
		}
	}
	m.entries[key] = entry{count: count, last: now, window: rule.Window}
	return true, 0, nil
}

// sweep drops counters whose window has passed, bounding memory by the
// number of clients seen in the longest window.
func (m *Memory) sweep(now time.Time) {
	for k, e := range m.entries {
		if now.Sub(e.last) >= e.window {
			delete(m.entries, k)
		}
	}
}

// Rules maps a path (below the base path) to its rule.
type Rules struct {
	Default Rule
	// Builtin rules: the first match applies.
	Builtin []PathRule
	// Plugin rules: the first match replaces the built-in result, as
	// Better Auth applies plugin rules after its own.
	Plugin []PathRule
}

// PathRule applies Rule to paths that equal Path, or start with it when
// Prefix is set.
type PathRule struct {
	Path   string
	Prefix bool
	Rule   Rule
}

// DefaultRules returns Better Auth's defaults: 100 per 10 s, 3 per 10 s on
// sign-in, sign-up, change-password and change-email, and 3 per 60 s on
// the mail-sending paths.
func DefaultRules() Rules {
	strict := Rule{Window: 10 * time.Second, Max: 3}
	mail := Rule{Window: 60 * time.Second, Max: 3}
	return Rules{
		Default: Rule{Window: 10 * time.Second, Max: 100},
		Builtin: []PathRule{
			{Path: "/sign-in", Prefix: true, Rule: strict},
			{Path: "/sign-up", Prefix: true, Rule: strict},
			{Path: "/change-password", Prefix: true, Rule: strict},
			{Path: "/change-email", Prefix: true, Rule: strict},
			{Path: "/request-password-reset", Rule: mail},
			{Path: "/send-verification-email", Rule: mail},
			{Path: "/email-otp/send-verification-otp", Rule: mail},
			{Path: "/email-otp/request-password-reset", Rule: mail},
			{Path: "/forget-password", Prefix: true, Rule: mail},
		},
	}
}

// For returns the rule of path.
func (r Rules) For(path string) Rule {
	rule := r.Default
	for _, pr := range r.Builtin {
		if pr.matches(path) {
			rule = pr.Rule
			break
		}
	}
	for _, pr := range r.Plugin {
		if pr.matches(path) {
			return pr.Rule
		}
	}
	return rule
}

func (pr PathRule) matches(path string) bool {
	if pr.Prefix {
		return strings.HasPrefix(path, pr.Path)
	}
	return path == pr.Path
}
