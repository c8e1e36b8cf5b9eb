package admin

import (
	"strings"
	"time"

	"github.com/authd/authd/internal/config"
)

// Config contains the plugin's settings (AUTHD_ADMIN_*). docs/configuration.md
// describes each one.
type Config struct {
	// Access holds the roles and the rules that evaluate them.
	Access *Access
	// DefaultBanReason is stored when ban-user gets no reason; empty means
	// Better Auth's "No reason".
	DefaultBanReason string
	// DefaultBanExpiresIn applies when ban-user gets no banExpiresIn; zero
	// bans without end.
	DefaultBanExpiresIn time.Duration
	// ImpersonationSessionDuration is the lifetime of an impersonation
	// session. It is never extended.
	ImpersonationSessionDuration time.Duration
	// AllowImpersonatingAdmins lets any caller with user:impersonate
	// impersonate admins, as Better Auth's deprecated option does.
	AllowImpersonatingAdmins bool
}

// Defaults of the settings, as Better Auth's admin plugin has them.
const (
	defaultImpersonationDuration = time.Hour
	defaultRoleName              = "user"
)

// LoadConfig reads the AUTHD_ADMIN_* settings. Errors are recorded on env,
// which names the variable; the roles file is read and checked here so a
// bad file stops start-up.
func LoadConfig(env *config.Env) Config {
	cfg := Config{
		DefaultBanReason:             env.String("AUTHD_ADMIN_DEFAULT_BAN_REASON", ""),
		DefaultBanExpiresIn:          env.Duration("AUTHD_ADMIN_DEFAULT_BAN_EXPIRES_IN", 0, 0, 100*365*24*time.Hour),
		ImpersonationSessionDuration: env.Duration("AUTHD_ADMIN_IMPERSONATION_SESSION_DURATION", defaultImpersonationDuration, time.Minute, 7*24*time.Hour),
		AllowImpersonatingAdmins:     env.Bool("AUTHD_ADMIN_ALLOW_IMPERSONATING_ADMINS", false),
	}

	access := &Access{
		statements:   defaultStatements,
		roles:        defaultRoles(),
		defaultRole:  env.String("AUTHD_ADMIN_DEFAULT_ROLE", defaultRoleName),
		adminUserIDs: map[string]bool{},
	}
	if path, ok := env.Lookup("AUTHD_ADMIN_ROLES_FILE"); ok {
		statements, roles, err := loadRolesFile(path)
		if err != nil {
			env.Fail("AUTHD_ADMIN_ROLES_FILE", "%v", err)
		} else {
			access.statements, access.roles, access.custom = statements, roles, true
		}
	}
	if access.custom && !access.RoleExists(access.defaultRole) {
		env.Fail("AUTHD_ADMIN_DEFAULT_ROLE", "role %q is not defined in AUTHD_ADMIN_ROLES_FILE (roles: %s)",
			access.defaultRole, strings.Join(access.RoleNames(), ", "))
	}

	// Better Auth rejects at start-up an adminRoles entry that names no
	// role, comparing case-insensitively.
	for _, name := range env.List("AUTHD_ADMIN_ADMIN_ROLES", []string{"admin"}) {
		known := false
		for _, r := range access.RoleNames() {
			known = known || strings.EqualFold(r, name)
		}
		if !known {
			env.Fail("AUTHD_ADMIN_ADMIN_ROLES", "role %q is not defined (roles: %s)", name, strings.Join(access.RoleNames(), ", "))
		}
		access.adminRoles = append(access.adminRoles, name)
	}
	for _, id := range env.List("AUTHD_ADMIN_USER_IDS", nil) {
		access.adminUserIDs[id] = true
	}
	cfg.Access = access
	return cfg
}
