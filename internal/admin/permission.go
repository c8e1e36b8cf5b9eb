package admin

import (
	"context"

	"errors"
	"strings"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/store"
)

// permissionsField reads an object of string arrays, the schema of
// has-permission's permissions. ok is false when the value has another
// shape.
func permissionsField(raw any) (Permissions, bool) {
	m, isMap := raw.(map[string]any)
	if !isMap {
		return nil, false
	}
	out := make(Permissions, len(m))
	for resource, v := range m {
		list, isList := v.([]any)
		if !isList {
			return nil, false
		}
		actions := make([]string, len(list))
		for i, e := range list {
			s, isString := e.(string)
			if !isString {
				return nil, false
			}
			actions[i] = s
		}
		out[resource] = actions
	}
	return out, true
}

// hasPermission reports whether the caller holds a set of permissions. A
// signed-in user always checks itself, because the body's userId and role
// are ignored, so a plain user learns nothing about others. A service key
// checks the body's role or userId, as Better Auth's in-process call does.
// A request with neither gets 401.
func (p *Plugin) hasPermission(c *auth.Context) error {
	in := bodyInput(c)
	userID := ""
	if _, ok := in.obj["userId"]; ok {
		userID = in.coercedString("userId")
	}
	role := in.OptString("role", api.MaxLen(maxRoleLength))
	// The rest of the schema is zod's exclusive union of {permission} and
	// {permissions}; its issues concern the body as a whole.
	_, legacyOK := permissionsField(in.obj["permission"])
	perms, permsOK := permissionsField(in.obj["permissions"])
	var issues []string
	if err := in.Err(); err != nil {
		var apiErr *api.Error
		if errors.As(err, &apiErr) {
			issues = append(issues, apiErr.Message)
		}
	}
	switch {
	case legacyOK && permsOK:
		issues = append(issues, "[body] Invalid input: more than one option matched")
	case !legacyOK && !permsOK:
		issues = append(issues, "[body] Invalid input")
	}
	if len(issues) > 0 {
		return api.NewError(400, "VALIDATION_ERROR", strings.Join(issues, "; "))
	}
	// The legacy "permission" key passes validation but is rejected, as
	// Better Auth rejects it since the key was renamed.
	if !permsOK {
		return errNoPermissionsPassed
	}

	caller, err := c.Caller()
	if err != nil {
		return err
	}
	switch {
	case caller.IsService():
		// A role in the body wins; userId still counts for adminUserIds.
		if role.Set {
			return c.JSON(permissionResponse{Success: p.access.Allowed(userID, role.Value, perms)})
		}
		if userID == "" {
			return errUserIDOrRoleRequired
		}
		user, err := store.UserByID(c.Ctx(), p.svc.Store.Pool, userID)
		if errors.Is(err, store.ErrNotFound) {
			return errUserNotFoundForPermission
		}
		if err != nil {
			return err
		}
		return c.JSON(permissionResponse{Success: p.access.Allowed(user.ID, deref(user.Role), perms)})
	case caller.HasSession():
		u := caller.User
		return c.JSON(permissionResponse{Success: p.access.Allowed(u.ID, deref(u.Role), perms)})
	}
	return errUnauthorized
}

// permissionResponse is the body of has-permission. Error is always null.
type permissionResponse struct {
	Error   *string `json:"error"`
	Success bool    `json:"success"`
}

// UserHasPermission reports whether user's roles (or adminUserIds) grant
// every action in permissions. Forward auth uses it to check sessions
// against the configured roles, custom roles included.
func (p *Plugin) UserHasPermission(_ context.Context, user *store.User, permissions map[string][]string) (bool, error) {
	role := ""
	if user.Role != nil {
		role = *user.Role
	}
	return p.access.Allowed(user.ID, role, Permissions(permissions)), nil
}
