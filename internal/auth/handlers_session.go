package auth

import (
	"html"
	"net/http"
	"net/url"
	"regexp"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/store"
)

// SessionResponse is the body of get-session.
type SessionResponse struct {
	Session any         `json:"session"`
	User    *store.User `json:"user"`
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// coerceBool is zod's z.coerce.boolean on a query value: any non-empty
// string, "false" included, is true.
func coerceBool(q url.Values, name string) bool { return q.Get(name) != "" }

func (s *Service) getSession(c *Context) error {
	noStore(c.W)
	q := c.R.URL.Query()
	var caller *Caller
	var err error
	if c.resolved {
		caller = c.caller
	} else {
		caller, err = c.resolveCaller(coerceBool(q, "disableRefresh"))
		if err != nil {
			return err
		}
	}
	if !caller.HasSession() {
		return c.JSON(nil)
	}
	if caller.APIKeyID != "" {
		return c.JSON(apiKeySessionResponse(caller))
	}
	return c.JSON(SessionResponse{Session: caller.Session, User: caller.User})
}

// apiKeySessionResponse writes the session that Better Auth builds for an
// API key: it has no impersonatedBy field, unlike a stored session.
func apiKeySessionResponse(caller *Caller) any {
	s := caller.Session
	return map[string]any{
		"session": map[string]any{
			"id": s.ID, "token": s.Token, "userId": s.UserID,
			"userAgent": s.UserAgent, "ipAddress": s.IPAddress,
			"createdAt": wireTime(s.CreatedAt), "updatedAt": wireTime(s.UpdatedAt), "expiresAt": wireTime(s.ExpiresAt),
		},
		"user": caller.User,
	}
}

func (s *Service) postGetSession(c *Context) error {
	noStore(c.W)
	return api.ErrPostGetSession
}

func (s *Service) listSessions(c *Context) error {
	caller, err := c.RequireSession()
	if err != nil {
		return err
	}
	if fresh := s.Config.SessionFreshAge; fresh > 0 && c.Now().Sub(caller.Session.CreatedAt) >= fresh {
		return api.ErrSessionNotFresh
	}
	sessions, err := store.ListUserSessions(c.Ctx(), s.Store.Pool, caller.User.ID, c.Now())
	if err != nil {
		return err
	}
	// The admin plugin hides impersonation sessions from the user.
	visible := sessions[:0]
	for _, sess := range sessions {
		if sess.ImpersonatedBy == nil || *sess.ImpersonatedBy == "" {
			visible = append(visible, sess)
		}
	}
	return c.JSON(visible)
}

func (s *Service) revokeSession(c *Context) error {
	v := c.ValidateBody()
	token := v.String("token", api.MaxLen(256))
	if err := v.Err(); err != nil {
		return err
	}
	caller, err := c.RequireSession()
	if err != nil {
		return err
	}
	if _, err := store.DeleteUserSessionByToken(c.Ctx(), s.Store.Pool, caller.User.ID, token); err != nil {
		return err
	}
	return c.JSON(map[string]bool{"status": true})
}

func (s *Service) revokeSessions(c *Context) error {
	// Better Auth declares no body for this endpoint, so any JSON body,
	// an array or a number too, is accepted and ignored.
	caller, err := c.RequireSession()
	if err != nil {
		return err
	}
	if _, err := store.DeleteUserSessions(c.Ctx(), s.Store.Pool, caller.User.ID); err != nil {
		return err
	}
	return c.JSON(map[string]bool{"status": true})
}

func (s *Service) revokeOtherSessions(c *Context) error {
	// Better Auth declares no body for this endpoint, so any JSON body,
	// an array or a number too, is accepted and ignored.
	caller, err := c.RequireSession()
	if err != nil {
		return err
	}
	if err := store.DeleteOtherUserSessions(c.Ctx(), s.Store.Pool, caller.User.ID, caller.Session.Token); err != nil {
		return err
	}
	return c.JSON(map[string]bool{"status": true})
}

var errorCodePattern = regexp.MustCompile(`^['A-Za-z0-9_-]+$`)

// errorPage is Better Auth's /error: a redirect to the site root with the
// code in production, an HTML page in dev mode.
func (s *Service) errorPage(c *Context) error {
	q := c.R.URL.Query()
	code := q.Get("error")
	if !errorCodePattern.MatchString(code) {
		code = "UNKNOWN"
	}
	desc := q.Get("error_description")
	if s.Config.Production() {
		target := "/?error=" + url.QueryEscape(code)
		if desc != "" {
			target += "&error_description=" + url.QueryEscape(desc)
		}
		c.W.Header().Set("Location", target)
		c.W.WriteHeader(http.StatusFound)
		return nil
	}
	c.W.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = c.W.Write([]byte("<!doctype html><title>Error</title><h1>" + html.EscapeString(code) + "</h1><p>" +
		html.EscapeString(desc) + "</p>"))
	return nil
}
