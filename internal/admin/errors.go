package admin

import (
	"net/http"

	"github.com/authd/authd/internal/api"
)

// The plugin's errors. Codes and messages are Better Auth 1.7's, byte for
// byte, except for the errors whose comment names them as authd's own.
var (
	errUnauthorized = api.Empty(http.StatusUnauthorized)

	errFailedToCreateUser        = api.NewError(500, "FAILED_TO_CREATE_USER", "Failed to create user")
	errUserAlreadyExists         = api.NewError(400, "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email.")
	errUserNotFound              = api.NewError(404, "USER_NOT_FOUND", "User not found")
	errCannotBanYourself         = api.NewError(400, "YOU_CANNOT_BAN_YOURSELF", "You cannot ban yourself")
	errCannotRemoveYourself      = api.NewError(400, "YOU_CANNOT_REMOVE_YOURSELF", "You cannot remove yourself")
	errNotAllowedToChangeRole    = api.NewError(403, "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE", "You are not allowed to change users role")
	errNotAllowedToCreateUsers   = api.NewError(403, "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS", "You are not allowed to create users")
	errNotAllowedToListUsers     = api.NewError(403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS", "You are not allowed to list users")
	errNotAllowedToListSessions  = api.NewError(403, "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS", "You are not allowed to list users sessions")
	errNotAllowedToBan           = api.NewError(403, "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS", "You are not allowed to ban users")
	errNotAllowedToImpersonate   = api.NewError(403, "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS", "You are not allowed to impersonate users")
	errNotAllowedToRevoke        = api.NewError(403, "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS", "You are not allowed to revoke users sessions")
	errNotAllowedToDelete        = api.NewError(403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS", "You are not allowed to delete users")
	errNotAllowedToSetPassword   = api.NewError(403, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD", "You are not allowed to set users password")
	errNotAllowedToGetUser       = api.NewError(403, "YOU_ARE_NOT_ALLOWED_TO_GET_USER", "You are not allowed to get user")
	errNotAllowedToUpdate        = api.NewError(403, "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS", "You are not allowed to update users")
	errNotAllowedToSetEmail      = api.NewError(403, "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL", "You are not allowed to update users email")
	errNoDataToUpdate            = api.NewError(400, "NO_DATA_TO_UPDATE", "No data to update")
	errNonExistentRole           = api.NewError(400, "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE", "You are not allowed to set a non-existent role value")
	errCannotImpersonateAdmins   = api.NewError(403, "YOU_CANNOT_IMPERSONATE_ADMINS", "You cannot impersonate admins")
	errInvalidRoleType           = api.NewError(400, "INVALID_ROLE_TYPE", "Invalid role type")
	errPasswordViaUpdateUser     = api.NewError(400, "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER", "Password cannot be updated through update-user. Use the set-user-password endpoint instead")
	errUserNotFoundForPermission = api.Message(400, "user not found")
	errUserIDOrRoleRequired      = api.Message(400, "user id or role is required")
	errNoPermissionsPassed       = api.Message(400, "invalid permission check. no permission(s) were passed.")
	errNotImpersonating          = api.Message(400, "You are not impersonating anyone")
	errImpersonatorNotFound      = api.Message(500, "Failed to find user")
	errAdminSessionNotFound      = api.Message(500, "Failed to find admin session")

	// authd rejects an impersonation started from an impersonation
	// session, so an admin cannot chain identities; Better Auth only relies
	// on the impersonated user lacking the permission.
	errImpersonationChain = api.NewError(403, "IMPERSONATION_SESSION_CANNOT_IMPERSONATE",
		"An impersonation session cannot impersonate another user: stop impersonating first")
	// authd: impersonation swaps a browser's session cookie, so it needs the
	// session of a signed-in admin. Service keys and API keys have none.
	errImpersonationNeedsSession = api.NewError(403, "IMPERSONATION_REQUIRES_SESSION",
		"Impersonation requires the session of a signed-in admin; service keys and API keys cannot impersonate users")
)
