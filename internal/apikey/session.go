package apikey

import (
	"net/http"
	"strings"
	"time"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/servicekey"
	"github.com/authd/authd/internal/store"
)

// Authenticate implements auth.Authenticator: a key in one of the
// configured headers signs the request in as the key's owner, on every
// endpoint, and uses one unit of the key's rate limit and remaining count.
// Better Auth lets the key win over a session cookie. authd does the same,
// but lets a service key win over both, so a backend that forwards a
// user's headers is not charged a use of the user's key.
func (p *Plugin) Authenticate(c *auth.Context) (*auth.Caller, error) {
	if !p.cfg.EnableSession {
		return nil, nil
	}
	key := p.headerKey(c.R)
	if key == "" || hasServiceKey(c.R) {
		return nil, nil
	}
	// Better Auth rejects a key shorter than new keys before looking it up.
	if api.UTF16Len(key) < p.cfg.KeyLength {
		p.observe(CodeInvalidAPIKey)
		return nil, ErrShortKey
	}

	now := p.now()
	res, err := p.use(c.Ctx(), useRequest{Hash: Hash(key), Now: now, RequireOwner: true})
	if err != nil {
		return nil, err
	}
	p.observe(res.Code)
	switch res.Code {
	case CodeValid:
		return p.keyCaller(c, key, res, now), nil
	case CodeUserBanned:
		// The same response as for a banned user's cookie or bearer token.
		return nil, api.BannedUser(p.svc.Config.BannedUserMessage)
	case CodeRateLimited:
		return nil, api.NewError(http.StatusTooManyRequests, CodeRateLimited, msgRateLimitExceeded).
			WithDetails(map[string]any{"tryAgainIn": res.TryAgainIn})
	}
	return nil, api.NewError(verifyStatuses[res.Code], res.Code, verifyMessages[res.Code])
}

// keyCaller builds the session that Better Auth makes for a key: not
// stored, with the key's id and the key itself as id and token.
func (p *Plugin) keyCaller(c *auth.Context, key string, res *useResult, now time.Time) *auth.Caller {
	k := res.Key
	// Better Auth adds the session lifetime, configured in seconds, as
	// milliseconds when the key has no expiry: about ten minutes for the
	// default of seven days. Clients only display it.
	expiresAt := now.Add(time.Duration(p.svc.Config.SessionExpiresIn.Seconds()) * time.Millisecond)
	if k.ExpiresAt != nil {
		expiresAt = *k.ExpiresAt
	}
	session := &store.Session{
		ID: k.ID, Token: key, UserID: k.ReferenceID,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: expiresAt,
	}
	if ua, ok := c.R.Header["User-Agent"]; ok && len(ua) > 0 {
		session.UserAgent = &ua[0]
	}
	if ip := c.ClientIP(); ip != "" {
		session.IPAddress = &ip
	}
	return &auth.Caller{User: res.Owner, Session: session, APIKeyID: k.ID}
}

// headerKey returns the first non-empty configured header's value.
func (p *Plugin) headerKey(r *http.Request) string {
	for _, h := range p.cfg.Headers {
		if v := r.Header.Get(h); v != "" {
			return v
		}
	}
	return ""
}

// hasServiceKey reports whether the request carries a service key as its
// bearer token.
func hasServiceKey(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return false
	}
	return servicekey.Looks(strings.TrimSpace(h[7:]))
}
