package admin

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
)

// Statements maps a resource to the actions that exist on it, such as
// "user" to "create", "list", "ban" and so on.
type Statements map[string][]string

// Role maps a resource to the actions the role grants on it.
type Role map[string][]string

// Better Auth's default statements. The admin endpoints check exactly these
// actions, so they exist whatever the roles file contains.
var defaultStatements = Statements{
	"user": {"create", "list", "set-role", "ban", "impersonate", "impersonate-admins", "delete",
		"set-password", "set-email", "get", "update"},
	"session": {"list", "revoke", "delete"},
}

// defaultRoles are Better Auth's built-in roles. The admin role lacks
// impersonate-admins on purpose, as in Better Auth: one admin may not take
// over another's account by default.
func defaultRoles() map[string]Role {
	return map[string]Role{
		"admin": {
			"user": {"create", "list", "set-role", "ban", "impersonate", "delete", "set-password",
				"set-email", "get", "update"},
			"session": {"list", "revoke", "delete"},
		},
		"user": {"user": {}, "session": {}},
	}
}

// Access evaluates permissions with Better Auth's rules. It is read-only
// after start-up and safe for concurrent use.
type Access struct {
	statements Statements
	roles      map[string]Role
	// custom is true when the roles came from a roles file. Only then are
	// role names checked on set-role, create-user and update-user, as
	// Better Auth checks them only when custom roles are configured.
	custom       bool
	defaultRole  string
	adminRoles   []string
	adminUserIDs map[string]bool
}

// Permissions is a permission request: resource to actions, all of which
// must be granted.
type Permissions map[string][]string

// splitRoles splits a stored role string on "," without trimming, as
// Better Auth does: "a, b" names the roles "a" and " b". An empty value
// means the default role.
func (a *Access) splitRoles(role string) []string {
	if role == "" {
		role = a.defaultRole
	}
	return strings.Split(role, ",")
}

// Allowed reports whether a user with the stored role string may do
// everything in req. A user listed in adminUserIDs may do anything. Other
// users need one single role that grants the whole request: permissions
// are never combined across roles. An empty request is never granted.
func (a *Access) Allowed(userID, role string, req Permissions) bool {
	if userID != "" && a.adminUserIDs[userID] {
		return true
	}
	for _, name := range a.splitRoles(role) {
		if r, ok := a.roles[name]; ok && r.grants(req) {
			return true
		}
	}
	return false
}

// Can is Allowed for a single action.
func (a *Access) Can(userID, role, resource, action string) bool {
	return a.Allowed(userID, role, Permissions{resource: {action}})
}

func (r Role) grants(req Permissions) bool {
	if len(req) == 0 {
		return false
	}
	for resource, actions := range req {
		granted, ok := r[resource]
		if !ok || len(actions) == 0 {
			return false
		}
		for _, action := range actions {
			if !slices.Contains(granted, action) {
				return false
			}
		}
	}
	return true
}

// IsAdmin reports whether a user counts as an admin for impersonation: one
// of its roles is listed in adminRoles, or its id is in adminUserIDs. A
// powerful custom role that is not in adminRoles does not count.
func (a *Access) IsAdmin(userID, role string) bool {
	if a.adminUserIDs[userID] {
		return true
	}
	for _, name := range a.splitRoles(role) {
		if slices.Contains(a.adminRoles, name) {
			return true
		}
	}
	return false
}

// RoleExists reports whether name is a configured role.
func (a *Access) RoleExists(name string) bool {
	_, ok := a.roles[name]
	return ok
}

// ChecksRoleNames reports whether role names are validated, which is the
// case when a roles file is configured.
func (a *Access) ChecksRoleNames() bool { return a.custom }

// RoleNames returns the configured role names in order.
func (a *Access) RoleNames() []string {
	names := make([]string, 0, len(a.roles))
	for n := range a.roles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// rolesFile is the JSON layout of AUTHD_ADMIN_ROLES_FILE.
type rolesFile struct {
	Statements Statements      `json:"statements"`
	Roles      map[string]Role `json:"roles"`
}

// loadRolesFile reads and checks a roles file. Statements in the file are
// added to the default ones; roles replace the default roles entirely, as
// Better Auth's roles option does. Every action a role grants must exist in
// the statements, so a typo cannot silently grant nothing.
func loadRolesFile(path string) (Statements, map[string]Role, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read roles file: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var f rolesFile
	if err := dec.Decode(&f); err != nil {
		return nil, nil, fmt.Errorf("parse roles file %s: %w", path, err)
	}
	if len(f.Roles) == 0 {
		return nil, nil, fmt.Errorf("roles file %s defines no roles: add a \"roles\" object", path)
	}

	statements := Statements{}
	for resource, actions := range defaultStatements {
		statements[resource] = slices.Clone(actions)
	}
	for resource, actions := range f.Statements {
		if resource == "" {
			return nil, nil, fmt.Errorf("roles file %s: a statement has an empty resource name", path)
		}
		for _, action := range actions {
			if action == "" {
				return nil, nil, fmt.Errorf("roles file %s: statement %q has an empty action", path, resource)
			}
			if !slices.Contains(statements[resource], action) {
				statements[resource] = append(statements[resource], action)
			}
		}
	}

	for name, role := range f.Roles {
		if name == "" || strings.Contains(name, ",") {
			return nil, nil, fmt.Errorf("roles file %s: invalid role name %q: names must be non-empty and contain no comma", path, name)
		}
		for resource, actions := range role {
			known, ok := statements[resource]
			if !ok {
				return nil, nil, fmt.Errorf("roles file %s: role %q uses resource %q, which no statement defines", path, name, resource)
			}
			for _, action := range actions {
				if !slices.Contains(known, action) {
					return nil, nil, fmt.Errorf("roles file %s: role %q grants %s:%s, which is not in the statements of %q (%s)",
						path, name, resource, action, resource, strings.Join(known, ", "))
				}
			}
		}
	}
	return statements, f.Roles, nil
}
