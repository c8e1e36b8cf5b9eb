// Package forwardauth lets a reverse proxy ask authd whether a request may
// reach an upstream: nginx auth_request, Caddy forward_auth and Traefik
// ForwardAuth send the client's cookies and headers to
// GET <base path>/forward-auth, which responds with 200 and the caller's
// identity in X-Auth-* headers, or 401, 403 or 429.
//
// The endpoint is an ordinary authd endpoint, so the core resolves the
// caller as everywhere else: session cookie, bearer token or x-api-key
// (which uses one unit of the key's rate limit and remaining count).
package forwardauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/config"
	"github.com/authd/authd/internal/ratelimit"
	"github.com/authd/authd/internal/store"
)

// Identity headers of a 200 response. The proxy copies them onto the request
// it sends upstream; it must also remove any of them that the client sent.
const (
	HeaderUserID        = "X-Auth-User-Id"
	HeaderUserEmail     = "X-Auth-User-Email"
	HeaderEmailVerified = "X-Auth-User-Email-Verified"
	HeaderUserRole      = "X-Auth-User-Role"
	HeaderSessionID     = "X-Auth-Session-Id"
	HeaderAPIKeyID      = "X-Auth-Api-Key-Id"
	HeaderImpersonator  = "X-Auth-Impersonated-By"
	HeaderPermissions   = "X-Auth-Permissions"
)

// Config contains the forward-auth settings.
type Config struct {
	Enabled bool
	// Path is below the base path.
	Path            string
	RateLimitWindow time.Duration
	RateLimitMax    int
}

// LoadConfig reads the AUTHD_FORWARD_AUTH* settings.
func LoadConfig(env *config.Env) Config {
	c := Config{
		Enabled:         env.Bool("AUTHD_FORWARD_AUTH", true),
		Path:            env.String("AUTHD_FORWARD_AUTH_PATH", "/forward-auth"),
		RateLimitWindow: env.Duration("AUTHD_FORWARD_AUTH_RATE_LIMIT_WINDOW", 10*time.Second, time.Second, time.Hour),
		RateLimitMax:    env.Int("AUTHD_FORWARD_AUTH_RATE_LIMIT_MAX", 1000, 1, 10_000_000),
	}
	if !strings.HasPrefix(c.Path, "/") || strings.HasSuffix(c.Path, "/") || strings.ContainsAny(c.Path, "{}*?#") {
		env.Fail("AUTHD_FORWARD_AUTH_PATH", "invalid path %q: it must start with /, not end with /, and is relative to AUTHD_BASE_PATH", c.Path)
	}
	return c
}

// RoleChecker decides whether a signed-in user's roles grant permissions.
// The Admin plugin provides one that uses the configured roles.
type RoleChecker func(ctx context.Context, user *store.User, required map[string][]string) (bool, error)

// Plugin serves the forward-auth endpoint.
type Plugin struct {
	svc   *auth.Service
	cfg   Config
	roles RoleChecker
}

// New builds the plugin.
func New(svc *auth.Service, cfg Config) *Plugin {
	return &Plugin{svc: svc, cfg: cfg}
}

// SetRoleChecker replaces the built-in roles (Better Auth's default admin
// and user) in permission checks of sessions.
func (p *Plugin) SetRoleChecker(rc RoleChecker) { p.roles = rc }

// Mount implements auth.Plugin.
func (p *Plugin) Mount(r *auth.Router) {
	if !p.cfg.Enabled {
		return
	}
	r.Get(p.cfg.Path, p.check)
}

// RateLimitRules implements auth.RateLimitRuleProvider. A proxy sends one
// check per proxied request, so a page with many assets needs far more
// than the default 100 per 10 s. The limit still applies per client IP
// when AUTHD_TRUSTED_PROXIES names the proxy.
func (p *Plugin) RateLimitRules() []ratelimit.PathRule {
	if !p.cfg.Enabled {
		return nil
	}
	return []ratelimit.PathRule{{Path: p.cfg.Path, Rule: ratelimit.Rule{Window: p.cfg.RateLimitWindow, Max: p.cfg.RateLimitMax}}}
}

// identity is the body of a 200 response, the same facts as the headers.
type identity struct {
	UserID       string  `json:"userId"`
	Email        string  `json:"email"`
	Role         *string `json:"role"`
	SessionID    *string `json:"sessionId"`
	APIKeyID     *string `json:"apiKeyId"`
	Permissions  *string `json:"permissions"`
	Impersonated *string `json:"impersonatedBy"`
}

// check decides for the proxy. Failures of the caller's credentials
// (banned owner, rate-limited or exhausted API key) were already rejected
// by the core before this runs.
func (p *Plugin) check(c *auth.Context) error {
	c.W.Header().Set("Cache-Control", "no-store")
	required, err := ParsePermissions(c.R.URL.Query()["permissions"])
	if err != nil {
		return err
	}
	caller, err := c.Caller()
	if err != nil {
		return err
	}
	if caller.IsService() {
		return ErrServiceKey
	}
	if !caller.HasSession() {
		return ErrUnauthenticated
	}
	if len(required) > 0 {
		ok, err := p.permitted(c.Ctx(), caller, required)
		if err != nil {
			return err
		}
		if !ok {
			return ErrMissingPermissions
		}
	}

	// Every identity header is sent, empty when it does not apply. A proxy
	// that copies a fixed list of headers (Traefik) then overwrites what the
	// client sent under those names, and Caddy 2.6, which copies an absent
	// header as its literal placeholder text, copies an empty value.
	u, s := caller.User, caller.Session
	id := identity{UserID: u.ID, Email: u.Email, Role: u.Role}
	values := map[string]string{
		HeaderUserID:        u.ID,
		HeaderUserEmail:     u.Email,
		HeaderEmailVerified: fmt.Sprint(u.EmailVerified),
		HeaderUserRole:      "",
		HeaderSessionID:     "",
		HeaderAPIKeyID:      "",
		HeaderImpersonator:  "",
		HeaderPermissions:   "",
	}
	if u.Role != nil {
		values[HeaderUserRole] = *u.Role
	}
	if caller.APIKeyID != "" {
		values[HeaderAPIKeyID] = caller.APIKeyID
		id.APIKeyID = &caller.APIKeyID
	} else {
		values[HeaderSessionID] = s.ID
		id.SessionID = &s.ID
	}
	if s.ImpersonatedBy != nil && *s.ImpersonatedBy != "" {
		values[HeaderImpersonator] = *s.ImpersonatedBy
		id.Impersonated = s.ImpersonatedBy
	}
	if len(required) > 0 {
		granted := required.String()
		values[HeaderPermissions] = granted
		id.Permissions = &granted
	}
	h := c.W.Header()
	for name, v := range values {
		h.Set(name, v)
	}
	return c.JSON(id)
}

// permitted checks required against the API key's permissions for a key
// caller, and against the user's roles for a session.
func (p *Plugin) permitted(ctx context.Context, caller *auth.Caller, required Permissions) (bool, error) {
	if caller.APIKeyID != "" {
		have, err := p.keyPermissions(ctx, caller.APIKeyID)
		if err != nil {
			return false, err
		}
		return have.Grants(required), nil
	}
	if p.roles != nil {
		return p.roles(ctx, caller.User, required)
	}
	role := p.svc.Config.DefaultRole
	if caller.User.Role != nil && *caller.User.Role != "" {
		role = *caller.User.Role
	}
	return defaultRoleGrants(role, required), nil
}

// keyPermissions reads the permissions stored on an API key: JSON text of
// {resource: [actions]} in Better Auth's apikey table, or NULL for none.
func (p *Plugin) keyPermissions(ctx context.Context, keyID string) (Permissions, error) {
	var raw *string
	err := p.svc.Store.Pool.QueryRow(ctx, `SELECT "permissions" FROM "apikey" WHERE "id" = $1`, keyID).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		// Deleted between authentication and this read: nothing granted.
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read permissions of API key %s: %w", keyID, err)
	}
	if raw == nil || *raw == "" {
		return nil, nil
	}
	return decodePermissions(*raw, keyID)
}

// decodePermissions reads stored permissions. Some Better Auth versions
// stored the JSON text once more as a JSON string; both forms are read.
func decodePermissions(raw, keyID string) (Permissions, error) {
	var perms Permissions
	err := json.Unmarshal([]byte(raw), &perms)
	if err != nil {
		var inner string
		if json.Unmarshal([]byte(raw), &inner) == nil {
			err = json.Unmarshal([]byte(inner), &perms)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("decode permissions of API key %s: %w", keyID, err)
	}
	return perms, nil
}
