package admin

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/wire"
)

// adminSessionCookie holds "<admin's session token>:<dont-remember flag>",
// signed, while an admin impersonates someone; stop-impersonating reads it
// to give the admin their own session back.
const adminSessionCookie = "admin_session"

type sessionResponse struct {
	Session *store.Session `json:"session"`
	User    *store.User    `json:"user"`
}

func (p *Plugin) impersonateUser(c *auth.Context) error {
	in := bodyInput(c)
	userID := in.coercedString("userId")
	if err := in.Err(); err != nil {
		return err
	}
	a, err := p.authenticate(c)
	if err != nil {
		return err
	}
	if a.caller.IsService() || a.caller.APIKeyID != "" {
		return errImpersonationNeedsSession
	}
	if !a.can("user", "impersonate") {
		return errNotAllowedToImpersonate
	}
	if deref(a.caller.Session.ImpersonatedBy) != "" {
		return errImpersonationChain
	}
	ctx := c.Ctx()
	target, err := store.UserByID(ctx, p.svc.Store.Pool, userID)
	if errors.Is(err, store.ErrNotFound) {
		return errUserNotFound
	}
	if err != nil {
		return err
	}
	// An admin target (which includes the caller itself when it is an
	// admin) needs impersonate-admins, so that one admin cannot act as
	// another by default.
	if p.access.IsAdmin(target.ID, deref(target.Role)) &&
		!p.cfg.AllowImpersonatingAdmins && !a.can("user", "impersonate-admins") {
		return errCannotImpersonateAdmins
	}

	admin := a.caller.User
	var session *store.Session
	err = p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		// CreateSession runs the ban gate: a banned target gets 403
		// BANNED_USER. The session is "don't remember", and the core never
		// extends an impersonation session, so it ends after the configured
		// duration whatever the client does.
		session, err = c.CreateSession(ctx, tx, target, auth.SessionOptions{
			DontRemember:   true,
			ImpersonatedBy: admin.ID,
			ExpiresIn:      p.cfg.ImpersonationSessionDuration,
		})
		if err != nil {
			return err
		}
		return p.record(c, tx, a, ActionImpersonationStart, target.ID, map[string]any{
			"sessionId": session.ID, "expiresAt": wire.Time(session.ExpiresAt),
		})
	})
	if err != nil {
		return err
	}

	// Better Auth's cookie order: clear the session cookies, keep the
	// admin's session in admin_session, then set the impersonation session
	// as a browser-session cookie with dont_remember.
	dontRemember := ""
	if a.caller.DontRemember {
		dontRemember = "true"
	}
	c.ClearSessionCookies()
	ck := p.svc.Cookies
	c.W.Header().Add("Set-Cookie", ck.SetCookie(ck.Name(adminSessionCookie),
		ck.Sign(a.caller.Session.Token+":"+dontRemember), int(p.svc.Config.SessionExpiresIn/time.Second)))
	c.SetSessionCookie(session.Token, true)
	// The ban gate may have lifted an expired ban, so the response carries
	// the stored user.
	if fresh, err := store.UserByID(ctx, p.svc.Store.Pool, target.ID); err == nil {
		target = fresh
	}
	return c.JSON(sessionResponse{Session: session, User: target})
}

// stopImpersonating ends an impersonation session and restores the admin's
// own session from the admin_session cookie.
func (p *Plugin) stopImpersonating(c *auth.Context) error {
	caller, err := c.Caller()
	if err != nil {
		return err
	}
	if caller.IsService() {
		return errImpersonationNeedsSession
	}
	if !caller.HasSession() {
		return errUnauthorized
	}
	impersonatedBy := deref(caller.Session.ImpersonatedBy)
	if impersonatedBy == "" {
		return errNotImpersonating
	}
	ctx := c.Ctx()
	pool := p.svc.Store.Pool
	admin, err := store.UserByID(ctx, pool, impersonatedBy)
	if errors.Is(err, store.ErrNotFound) {
		return errImpersonatorNotFound
	}
	if err != nil {
		return err
	}

	adminToken, dontRemember, ok := p.adminSessionFromCookie(c)
	if !ok {
		return errAdminSessionNotFound
	}
	adminSession, err := store.SessionByToken(ctx, pool, adminToken)
	if errors.Is(err, store.ErrNotFound) {
		return errAdminSessionNotFound
	}
	if err != nil {
		return err
	}
	// The cookie must lead back to the admin who started this
	// impersonation, not to any session whose token someone holds.
	if adminSession.UserID != admin.ID {
		return errAdminSessionNotFound
	}

	a := &actor{caller: caller, access: p.access}
	err = p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.DeleteSessionByToken(ctx, tx, caller.Session.Token); err != nil {
			return err
		}
		return insertAuditEvent(ctx, tx, p.stopEvent(c, a, admin.ID, caller.Session))
	})
	if err != nil {
		return err
	}

	c.SetSessionCookie(adminSession.Token, dontRemember)
	ck := p.svc.Cookies
	c.W.Header().Add("Set-Cookie", ck.SetCookie(ck.Name(adminSessionCookie), "", 0))
	return c.JSON(sessionResponse{Session: adminSession, User: admin})
}

// stopEvent records the end of an impersonation as an action of the admin
// who started it, with the impersonated user as the target.
func (p *Plugin) stopEvent(c *auth.Context, a *actor, adminID string, s *store.Session) *AuditEvent {
	e := p.event(c, a, ActionImpersonationStop, s.UserID, map[string]any{"sessionId": s.ID})
	e.Actor = Actor{Type: ActorUser, ID: adminID}
	delete(e.Details, "impersonatedBy")
	return e
}

// adminSessionFromCookie reads and verifies the signed admin_session
// cookie. The first cookie of the name counts, as in Better Auth.
func (p *Plugin) adminSessionFromCookie(c *auth.Context) (token string, dontRemember bool, ok bool) {
	ck := p.svc.Cookies
	cookie, err := c.R.Cookie(ck.Name(adminSessionCookie))
	if err != nil {
		return "", false, false
	}
	raw := cookie.Value
	if strings.Contains(raw, "%") {
		if decoded, err := url.PathUnescape(raw); err == nil {
			raw = decoded
		}
	}
	value, valid := ck.Unsign(raw)
	if !valid {
		return "", false, false
	}
	token, flag, _ := strings.Cut(value, ":")
	if token == "" {
		return "", false, false
	}
	return token, flag == "true", true
}
