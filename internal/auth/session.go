package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/randstr"
	"github.com/authd/authd/internal/servicekey"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/wire"
)

// Caller is who made a request: a user with a session, or a backend with a
// service key.
type Caller struct {
	Session *store.Session
	User    *store.User
	// ServiceKey is set for backend calls; Session and User are nil then.
	ServiceKey *servicekey.Key
	// APIKeyID is set when the session was built from an API key; such a
	// session has no row in the session table.
	APIKeyID string
	// DontRemember is true when a valid dont_remember cookie came along.
	DontRemember bool
}

// IsService reports whether the caller is a backend with a service key.
func (c *Caller) IsService() bool { return c != nil && c.ServiceKey != nil }

// HasSession reports whether the caller is a signed-in user.
func (c *Caller) HasSession() bool { return c != nil && c.Session != nil && c.User != nil }

// Caller resolves who made the request: an authenticator's caller (API
// key), a service key, or a session from the bearer token or the signed
// cookie. It returns nil without error when the request is anonymous. Like
// Better Auth's session lookup it may write cookies: a refreshed session
// cookie, or clearing cookies for a revoked or expired session.
func (c *Context) Caller() (*Caller, error) {
	if c.resolved {
		return c.caller, nil
	}
	caller, err := c.resolveCaller(false)
	if err != nil {
		return nil, err
	}
	c.caller, c.resolved = caller, true
	return caller, nil
}

// RequireSession returns the signed-in caller, or 401 UNAUTHORIZED.
func (c *Context) RequireSession() (*Caller, error) {
	caller, err := c.Caller()
	if err != nil {
		return nil, err
	}
	if !caller.HasSession() {
		return nil, api.ErrUnauthorized
	}
	return caller, nil
}

// sessionToken returns the signed session value from the bearer header or
// the cookie. The bearer token wins over a cookie, as in Better Auth's
// bearer plugin. A bearer token without a signature is signed here, so raw
// tokens from the JSON body work too.
func (c *Context) sessionToken() (signed string, fromBearer bool) {
	// A token that is not valid UTF-8 was never issued by authd, and
	// Postgres would fail the lookup, so it is ignored like a bad signature.
	if t, ok := bearerToken(c.R); ok && !servicekey.Looks(t) && utf8.ValidString(t) {
		if strings.Contains(t, ".") {
			if strings.Contains(t, "%") {
				if decoded, err := urlPathUnescape(t); err == nil {
					t = decoded
				}
			}
			value, sig, _ := strings.Cut(t, ".")
			if c.Service.Cookies.verifyTolerant(value, sig) {
				return t, true
			}
		} else {
			return c.Service.Cookies.Sign(t), true
		}
	}
	return requestCookies(c.R)[c.Service.Cookies.Name(cookieSessionToken)], false
}

// bearerToken returns the token of an "Authorization: Bearer" header. The
// scheme is case-insensitive; other schemes are ignored.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}

func (c *Context) resolveCaller(disableRefresh bool) (*Caller, error) {
	svc := c.Service
	if t, ok := bearerToken(c.R); ok && servicekey.Looks(t) {
		key, err := servicekey.Verify(c.Ctx(), svc.Store.Pool, t)
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrInvalidServiceKey
		}
		if err != nil {
			return nil, err
		}
		svc.touchServiceKey(key.ID)
		return &Caller{ServiceKey: key}, nil
	}

	signed, _ := c.sessionToken()
	if signed == "" {
		return nil, nil
	}
	token, ok := svc.Cookies.Unsign(signed)
	if !ok {
		return nil, nil
	}
	now := c.Now()
	session, user, err := store.SessionWithUserByToken(c.Ctx(), svc.Store.Pool, token)
	if errors.Is(err, store.ErrNotFound) {
		c.ClearSessionCookies()
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if session.ExpiresAt.Before(now) {
		c.ClearSessionCookies()
		if err := store.DeleteSessionByToken(c.Ctx(), svc.Store.Pool, token); err != nil {
			svc.Log.WarnContext(c.Ctx(), "delete expired session", "session_id", session.ID, "error", err)
		}
		return nil, nil
	}
	// authd refuses a banned user's existing sessions at once, where Better
	// Auth relies on ban-user having deleted them.
	if user.IsBanned(now) {
		return nil, api.BannedUser(svc.Config.BannedUserMessage)
	}

	caller := &Caller{Session: session, User: user}
	if dr, ok := requestCookies(c.R)[svc.Cookies.Name(cookieDontRemember)]; ok {
		if v, valid := svc.Cookies.Unsign(dr); valid && v == "true" {
			caller.DontRemember = true
		}
	}
	// An impersonation session keeps its fixed lifetime. Browsers skip the
	// refresh through the dont_remember cookie; a bearer client sends no
	// cookie and would otherwise stretch it to the full session lifetime.
	impersonation := session.ImpersonatedBy != nil && *session.ImpersonatedBy != ""
	if caller.DontRemember || disableRefresh || svc.Config.DisableSessionRefresh || impersonation {
		return caller, nil
	}
	cfg := svc.Config
	due := !session.ExpiresAt.Add(-cfg.SessionExpiresIn).Add(cfg.SessionUpdateAge).After(now)
	if !due {
		return caller, nil
	}
	refreshed, err := store.ExtendSession(c.Ctx(), svc.Store.Pool, session.ID, now.Add(cfg.SessionExpiresIn), now)
	if errors.Is(err, store.ErrNotFound) {
		c.ClearSessionCookies()
		return nil, api.ErrFailedToGetSession
	}
	if err != nil {
		return nil, err
	}
	caller.Session = refreshed
	c.SetSessionCookie(refreshed.Token, false)
	return caller, nil
}

// ErrInvalidServiceKey rejects a bearer token that has the service key
// prefix but matches no active key.
var ErrInvalidServiceKey = api.NewError(401, "INVALID_SERVICE_KEY", "Invalid service key")

// SetSessionCookie writes the signed session cookie and, for bearer
// clients, the set-auth-token header. With dontRemember the cookie has no
// Max-Age and a signed dont_remember cookie marks the session.
func (c *Context) SetSessionCookie(token string, dontRemember bool) {
	ck := c.Service.Cookies
	signed := ck.Sign(token)
	maxAge := int(c.Service.Config.SessionExpiresIn / time.Second)
	if dontRemember {
		maxAge = -1
	}
	h := c.W.Header()
	h.Add("Set-Cookie", ck.SetCookie(ck.Name(cookieSessionToken), signed, maxAge))
	if dontRemember {
		h.Add("Set-Cookie", ck.SetCookie(ck.Name(cookieDontRemember), ck.Sign("true"), -1))
	}
	h.Set("set-auth-token", signed)
	addExposeHeader(h, "set-auth-token")
}

func addExposeHeader(h http.Header, name string) {
	existing := h.Get("Access-Control-Expose-Headers")
	for _, part := range strings.Split(existing, ",") {
		if strings.EqualFold(strings.TrimSpace(part), name) {
			return
		}
	}
	if existing == "" {
		h.Set("Access-Control-Expose-Headers", name)
		return
	}
	h.Set("Access-Control-Expose-Headers", existing+", "+name)
}

// ClearSessionCookies expires the session cookies in Better Auth's order:
// session_token, session_data, one line per request cookie whose name
// starts with session_data (cookie-cache chunks), then dont_remember.
func (c *Context) ClearSessionCookies() {
	ck := c.Service.Cookies
	h := c.W.Header()
	h.Add("Set-Cookie", ck.SetCookie(ck.Name(cookieSessionToken), "", 0))
	dataName := ck.Name(cookieSessionData)
	h.Add("Set-Cookie", ck.SetCookie(dataName, "", 0))
	for _, name := range requestCookieNames(c.R) {
		if strings.HasPrefix(name, dataName) {
			h.Add("Set-Cookie", ck.SetCookie(name, "", 0))
		}
	}
	h.Add("Set-Cookie", ck.SetCookie(ck.Name(cookieDontRemember), "", 0))
}

// requestCookieNames lists cookie names in header order, first occurrence
// only.
func requestCookieNames(r *http.Request) []string {
	var names []string
	seen := map[string]bool{}
	for _, header := range r.Header.Values("Cookie") {
		for _, piece := range strings.Split(header, ";") {
			name, _, ok := strings.Cut(piece, "=")
			name = strings.Trim(name, " \t")
			if !ok || name == "" || seen[name] {
				continue
			}
			seen[name] = true
			names = append(names, name)
		}
	}
	return names
}

// SessionOptions adjusts a new session.
type SessionOptions struct {
	DontRemember   bool
	ImpersonatedBy string
	// ExpiresIn overrides the lifetime (impersonation sessions last one hour).
	ExpiresIn time.Duration
}

// CreateSession stores a new session for user after the ban gate. A banned
// user gets 403 BANNED_USER; a ban whose banExpires has passed is lifted
// first, as Better Auth's admin plugin does. db may be a transaction.
func (c *Context) CreateSession(ctx context.Context, db store.DB, user *store.User, opts SessionOptions) (*store.Session, error) {
	now := c.Now()
	if user.Banned != nil && *user.Banned {
		if user.BanExpires == nil || !user.BanExpires.Before(now) {
			return nil, api.BannedUser(c.Service.Config.BannedUserMessage)
		}
		if err := store.ClearExpiredBan(ctx, db, user.ID, now); err != nil {
			return nil, err
		}
	}
	lifetime := c.Service.Config.SessionExpiresIn
	if opts.DontRemember {
		lifetime = 24 * time.Hour
	}
	if opts.ExpiresIn > 0 {
		lifetime = opts.ExpiresIn
	}
	ip := c.ClientIP()
	ua := c.R.UserAgent()
	s := &store.Session{
		ID:        randstr.ID(),
		ExpiresAt: now.Add(lifetime),
		Token:     randstr.ID(),
		CreatedAt: now,
		UpdatedAt: now,
		IPAddress: &ip,
		UserAgent: &ua,
		UserID:    user.ID,
	}
	if opts.ImpersonatedBy != "" {
		s.ImpersonatedBy = &opts.ImpersonatedBy
	}
	if err := store.InsertSession(ctx, db, s); err != nil {
		return nil, err
	}
	return s, nil
}

func wireTime(t time.Time) string { return wire.Time(t) }

// serviceKeyTouchInterval bounds the lastUsedAt writes of a service key to
// one per key per interval and replica, keeping writes off the hot path.
const serviceKeyTouchInterval = time.Minute

// touchServiceKey records a service key's use in the background, about
// once per serviceKeyTouchInterval per replica (two requests that arrive
// together may both write).
func (s *Service) touchServiceKey(id string) {
	now := s.Now()
	if last, ok := s.serviceKeyTouches.Load(id); ok && now.Sub(last.(time.Time)) < serviceKeyTouchInterval {
		return
	}
	s.serviceKeyTouches.Store(id, now)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := servicekey.TouchLastUsed(ctx, s.Store.Pool, id, now); err != nil {
			s.Log.Warn("record service key use", "service_key_id", id, "error", err)
		}
	}()
}
