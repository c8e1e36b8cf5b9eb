package forwardauth

import (
	"sort"
	"strings"
)

// Permissions maps a resource to actions, as Better Auth writes them:
// {"project": ["read", "write"]}.
type Permissions map[string][]string

// ParsePermissions reads the values of the permissions query parameter.
// Each value is a comma-separated list of resource:action entries; several
// values add up, and an action may repeat. An empty list means no
// permission is required.
func ParsePermissions(values []string) (Permissions, error) {
	perms := Permissions{}
	for _, v := range values {
		for _, entry := range strings.Split(v, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			resource, action, ok := strings.Cut(entry, ":")
			if !ok || resource == "" || action == "" || strings.ContainsAny(action, ": ") || strings.ContainsAny(resource, " ") {
				return nil, invalidPermissions(entry)
			}
			if !contains(perms[resource], action) {
				perms[resource] = append(perms[resource], action)
			}
		}
	}
	return perms, nil
}

// String writes the permissions in the query format, sorted, such as
// "project:read,project:write".
func (p Permissions) String() string {
	var entries []string
	for resource, actions := range p {
		for _, a := range actions {
			entries = append(entries, resource+":"+a)
		}
	}
	sort.Strings(entries)
	return strings.Join(entries, ",")
}

// Grants reports whether p holds every action of every resource of
// required: Better Auth's rule for API key permissions and for one role's
// statements. An empty required set is not granted, as in Better Auth.
func (p Permissions) Grants(required Permissions) bool {
	if len(required) == 0 {
		return false
	}
	for resource, actions := range required {
		have, ok := p[resource]
		if !ok || len(actions) == 0 {
			return false
		}
		for _, a := range actions {
			if !contains(have, a) {
				return false
			}
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// defaultRoles are Better Auth's admin plugin roles, used for sessions
// when no role checker is configured: "admin" may manage users and
// sessions, "user" holds nothing.
var defaultRoles = map[string]Permissions{
	"admin": {
		"user":    {"create", "list", "set-role", "ban", "impersonate", "delete", "set-password", "set-email", "get", "update"},
		"session": {"list", "revoke", "delete"},
	},
	"user": {"user": {}, "session": {}},
}

// defaultRoleGrants applies Better Auth's rule to a comma-separated role
// string: one single role must grant the whole request; roles are not
// combined, and names are not trimmed.
func defaultRoleGrants(role string, required Permissions) bool {
	for _, name := range strings.Split(role, ",") {
		if perms, ok := defaultRoles[name]; ok && perms.Grants(required) {
			return true
		}
	}
	return false
}
