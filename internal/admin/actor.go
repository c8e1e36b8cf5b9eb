package admin

import (
	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/auth"
)

// actor is the authenticated caller of an admin endpoint: a signed-in user
// (possibly impersonated) or a backend with a service key.
type actor struct {
	caller *auth.Caller
	access *Access
}

// userID is the caller's user id, or "" for a service key.
func (a *actor) userID() string {
	if a.caller.IsService() {
		return ""
	}
	return a.caller.User.ID
}

// isSelf reports whether id is the caller's own user id. A service key
// has no user, so nothing is itself.
func (a *actor) isSelf(id string) bool {
	return !a.caller.IsService() && a.caller.User.ID == id
}

// can reports whether the caller holds one permission. The role is the
// one loaded with the session on this request, so a demoted admin loses
// access at once. A service key holds every permission: it may do what
// Better Auth's in-process server calls may do.
func (a *actor) can(resource, action string) bool {
	if a.caller.IsService() {
		return true
	}
	u := a.caller.User
	return a.access.Can(u.ID, deref(u.Role), resource, action)
}

// auditActor names the caller in the audit log.
func (a *actor) auditActor() Actor {
	if a.caller.IsService() {
		return Actor{Type: ActorServiceKey, ID: a.caller.ServiceKey.ID}
	}
	return Actor{Type: ActorUser, ID: a.caller.User.ID}
}

// authenticate returns the caller, or 401 with an empty body when the
// request has neither a session nor a service key. The core reads the
// session and its user from the database on every request, never from a
// cookie cache, and rejects a banned user's sessions.
func (p *Plugin) authenticate(c *auth.Context) (*actor, error) {
	caller, err := c.Caller()
	if err != nil {
		return nil, err
	}
	if !caller.IsService() && !caller.HasSession() {
		return nil, errUnauthorized
	}
	return &actor{caller: caller, access: p.access}, nil
}

// authorize is authenticate followed by one permission check, which
// returns denied when it fails.
func (p *Plugin) authorize(c *auth.Context, resource, action string, denied *api.Error) (*actor, error) {
	a, err := p.authenticate(c)
	if err != nil {
		return nil, err
	}
	if !a.can(resource, action) {
		return nil, denied
	}
	return a, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
