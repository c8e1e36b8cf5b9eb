// Package admin is Better Auth's Admin plugin: user management, roles and
// permissions, bans and impersonation under /admin, with an audit log of
// every change an admin makes.
//
// Callers authenticate with a session (cookie or bearer token) and are
// checked against their current role in the database on every request. A
// backend with a service key is a superuser on every endpoint except
// impersonate-user and stop-impersonating. Those swap a browser's session
// cookie, so they need an admin's own session. docs/admin-roles.md lists
// the rules.
package admin

import (
	"github.com/authd/authd/internal/auth"
)

// Plugin serves the /admin endpoints.
type Plugin struct {
	svc    *auth.Service
	cfg    Config
	access *Access
}

// New builds the plugin. A zero Config (no LoadConfig) gets Better Auth's
// default roles.
func New(svc *auth.Service, cfg Config) (*Plugin, error) {
	if cfg.Access == nil {
		cfg.Access = &Access{
			statements:   defaultStatements,
			roles:        defaultRoles(),
			defaultRole:  svc.Config.DefaultRole,
			adminRoles:   []string{"admin"},
			adminUserIDs: map[string]bool{},
		}
	}
	if cfg.ImpersonationSessionDuration <= 0 {
		cfg.ImpersonationSessionDuration = defaultImpersonationDuration
	}
	return &Plugin{svc: svc, cfg: cfg, access: cfg.Access}, nil
}

// Mount implements auth.Plugin. The methods follow Better Auth; the JS
// client sends get-user and list-users as GET and everything else as POST.
func (p *Plugin) Mount(r *auth.Router) {
	r.Post("/admin/create-user", p.createUser)
	r.Get("/admin/list-users", p.listUsers)
	r.Get("/admin/get-user", p.getUser)
	r.Post("/admin/set-role", p.setRole)
	r.Post("/admin/update-user", p.updateUser)
	r.Post("/admin/set-user-password", p.setUserPassword)
	r.Post("/admin/ban-user", p.banUser)
	r.Post("/admin/unban-user", p.unbanUser)
	r.Post("/admin/list-user-sessions", p.listUserSessions)
	r.Post("/admin/revoke-user-session", p.revokeUserSession)
	r.Post("/admin/revoke-user-sessions", p.revokeUserSessions)
	r.Post("/admin/remove-user", p.removeUser)
	r.Post("/admin/impersonate-user", p.impersonateUser)
	r.Post("/admin/stop-impersonating", p.stopImpersonating)
	r.Post("/admin/has-permission", p.hasPermission)
}
