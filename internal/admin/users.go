package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/password"
	"github.com/authd/authd/internal/randstr"
	"github.com/authd/authd/internal/store"
)

type userResponse struct {
	User *store.User `json:"user"`
}

// NewUser is a user for CreateUser. Email must already be lower case and
// valid.
type NewUser struct {
	Email string
	Name  string
	// Password is hashed into a credential account; empty creates none, so
	// the user cannot sign in with a password until one is set.
	Password      string
	Role          string // the stored role string, such as "admin" or "user,support"
	EmailVerified bool
	Image         *string
	Banned        bool
	BanReason     *string
	BanExpires    *time.Time
}

// ErrEmailTaken is returned by CreateUser when a user already has the email.
var ErrEmailTaken = errors.New("a user with this email already exists")

// CreateUser stores the user, its credential account when a password is
// given, and the audit event, in one transaction. event names the actor;
// CreateUser fills in the target and the details. The password is hashed
// before the transaction starts, so no row lock waits on scrypt.
func CreateUser(ctx context.Context, st *store.Store, nu NewUser, now time.Time, event AuditEvent) (*store.User, error) {
	var hash string
	if nu.Password != "" {
		var err error
		if hash, err = password.Hash(ctx, nu.Password); err != nil {
			return nil, err
		}
	}
	role := nu.Role
	banned := nu.Banned
	user := &store.User{
		ID: randstr.ID(), Name: nu.Name, Email: nu.Email, EmailVerified: nu.EmailVerified, Image: nu.Image,
		CreatedAt: now, UpdatedAt: now, Role: &role, Banned: &banned, BanReason: nu.BanReason, BanExpires: nu.BanExpires,
	}
	event.TargetUserID = user.ID
	event.Action = ActionUserCreate
	event.CreatedAt = now
	event.Details = map[string]any{"email": user.Email, "role": role, "password": hash != "", "banned": banned}

	err := st.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.InsertUser(ctx, tx, user); err != nil {
			return err
		}
		if hash != "" {
			account := &store.Account{
				ID: randstr.ID(), Issuer: store.CredentialIssuer, AccountID: user.ID,
				ProviderID: store.CredentialProvider, UserID: user.ID, Password: &hash,
				CreatedAt: now, UpdatedAt: now,
			}
			if err := store.InsertAccount(ctx, tx, account); err != nil {
				return err
			}
		}
		return insertAuditEvent(ctx, tx, &event)
	})
	if store.IsUniqueViolation(err) {
		return nil, ErrEmailTaken
	}
	if err != nil {
		return nil, err
	}
	return user, nil
}

// checkRoles applies the role rules of set-role, create-user and
// update-user: the stored string must fit, and with a roles file every
// name must be a configured role. Better Auth accepts any name when no
// custom roles are configured, and so does authd.
func (p *Plugin) checkRoles(path string, names []string) error {
	joined := strings.Join(names, ",")
	if api.UTF16Len(joined) > maxRoleLength {
		return api.NewError(400, "VALIDATION_ERROR",
			fmt.Sprintf("[body.%s] Too big: expected the roles to have <=%d characters together", path, maxRoleLength))
	}
	if !p.access.ChecksRoleNames() {
		return nil
	}
	for _, n := range names {
		if !p.access.RoleExists(n) {
			return errNonExistentRole
		}
	}
	return nil
}

func (p *Plugin) createUser(c *auth.Context) error {
	in := bodyInput(c)
	email := in.String("email", api.MaxLen(maxEmailLength))
	pw := in.OptString("password", api.MaxLen(4*p.svc.Config.MaxPasswordLength))
	name := in.String("name", api.MaxLen(maxNameLength))
	bodyRole, bodyRoleSet := in.roleField("role", false)
	data, _ := in.recordField("data", false)
	fields := parseUserData(in.Validator, data)
	if err := in.Err(); err != nil {
		return err
	}
	// Better Auth lets server-side calls without a session create users;
	// over HTTP that is a service key, which authorize lets through.
	a, err := p.authorize(c, "user", "create", errNotAllowedToCreateUsers)
	if err != nil {
		return err
	}

	// A role in the body wins over data.role; either one, even null, needs
	// user:set-role.
	roleValue, roleSet := bodyRole, bodyRoleSet
	if !roleSet {
		roleValue, roleSet = data["role"]
	}
	role := p.svc.Config.DefaultRole
	if roleSet {
		if !a.can("user", "set-role") {
			return errNotAllowedToChangeRole
		}
		names, ok := roleNames(roleValue)
		if !ok {
			return errInvalidRoleType
		}
		if err := p.checkRoles("role", names); err != nil {
			return err
		}
		role = strings.Join(names, ",")
	}
	if hasBanField(data) && !a.can("user", "ban") {
		return errNotAllowedToBan
	}

	email = strings.ToLower(email)
	if !api.IsEmail(email) {
		return api.ErrInvalidEmail
	}
	ctx := c.Ctx()
	if _, err := store.UserByEmail(ctx, p.svc.Store.Pool, email); err == nil {
		return errUserAlreadyExists
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}

	nu := NewUser{
		Email: email, Name: name, Password: pw.Value, Role: role,
		EmailVerified: fields.EmailVerified.Value, Image: fields.Image.Ptr(),
		Banned: fields.Banned.Value, BanReason: fields.BanReason.Ptr(), BanExpires: fields.BanExpires.Ptr(),
	}
	user, err := CreateUser(ctx, p.svc.Store, nu, c.Now(), *p.event(c, a, ActionUserCreate, "", nil))
	if errors.Is(err, ErrEmailTaken) {
		return errUserAlreadyExists
	}
	if err != nil {
		return err
	}
	return c.JSON(userResponse{User: user})
}

func (p *Plugin) getUser(c *auth.Context) error {
	v := c.ValidateQuery()
	id := v.String("id", api.MaxLen(maxIDLength))
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := p.authorize(c, "user", "get", errNotAllowedToGetUser); err != nil {
		return err
	}
	user, err := store.UserByID(c.Ctx(), p.svc.Store.Pool, id)
	if errors.Is(err, store.ErrNotFound) {
		return errUserNotFound
	}
	if err != nil {
		return err
	}
	// The bare user, not {user}: Better Auth's OpenAPI metadata is wrong
	// about this, its handler is what clients read.
	return c.JSON(user)
}

func (p *Plugin) setRole(c *auth.Context) error {
	in := bodyInput(c)
	userID := in.coercedString("userId")
	roleValue, _ := in.roleField("role", true)
	if err := in.Err(); err != nil {
		return err
	}
	a, err := p.authorize(c, "user", "set-role", errNotAllowedToChangeRole)
	if err != nil {
		return err
	}
	names, _ := roleNames(roleValue)
	if err := p.checkRoles("role", names); err != nil {
		return err
	}
	role := strings.Join(names, ",")

	ctx := c.Ctx()
	var user *store.User
	err = p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		var previous *string
		var err error
		user, previous, err = setUserRole(ctx, tx, userID, role, c.Now())
		if err != nil {
			return err
		}
		return p.record(c, tx, a, ActionUserSetRole, userID, map[string]any{"role": role, "previousRole": previous})
	})
	if errors.Is(err, store.ErrNotFound) {
		return errUserNotFound
	}
	if err != nil {
		return err
	}
	return c.JSON(userResponse{User: user})
}

func (p *Plugin) updateUser(c *auth.Context) error {
	in := bodyInput(c)
	userID := in.coercedString("userId")
	data, _ := in.recordField("data", true)
	fields := parseUserData(in.Validator, data)
	if err := in.Err(); err != nil {
		return err
	}
	a, err := p.authorize(c, "user", "update", errNotAllowedToUpdate)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return errNoDataToUpdate
	}
	if _, ok := data["password"]; ok {
		return errPasswordViaUpdateUser
	}

	// Column names are fixed here; only values come from the request.
	var cols []userColumn
	var changed []string
	set := func(column, field string, value any) {
		cols = append(cols, userColumn{name: column, value: value})
		changed = append(changed, field)
	}
	if fields.Name.Set {
		set(`"name"`, "name", fields.Name.Value)
	}
	if fields.Image.Set {
		set(`"image"`, "image", fields.Image.Ptr())
	}
	if roleValue, ok := data["role"]; ok {
		if !a.can("user", "set-role") {
			return errNotAllowedToChangeRole
		}
		names, ok := roleNames(roleValue)
		if !ok {
			return errInvalidRoleType
		}
		if err := p.checkRoles("data.role", names); err != nil {
			return err
		}
		set(`"role"`, "role", strings.Join(names, ","))
	}
	banning := fields.Banned.Set && fields.Banned.Value
	if hasBanField(data) {
		if !a.can("user", "ban") {
			return errNotAllowedToBan
		}
		if banning && a.isSelf(userID) {
			return errCannotBanYourself
		}
		if fields.Banned.Set {
			set(`"banned"`, "banned", fields.Banned.Value)
		}
		if fields.BanReason.Set {
			set(`"banReason"`, "banReason", fields.BanReason.Ptr())
		}
		if fields.BanExpires.Set || fields.BanExpiresNull {
			set(`"banExpires"`, "banExpires", fields.BanExpires.Ptr())
		}
	}
	ctx := c.Ctx()
	if _, hasEmail := data["email"]; hasEmail || fields.EmailVerified.Set {
		if !a.can("user", "set-email") {
			return errNotAllowedToSetEmail
		}
		if fields.Email.Set {
			email := strings.ToLower(fields.Email.Value)
			if !api.IsEmail(email) {
				return api.ErrInvalidEmail
			}
			taken, err := emailTakenByOther(ctx, p.svc.Store.Pool, email, userID)
			if err != nil {
				return err
			}
			if taken {
				return errUserAlreadyExists
			}
			set(`"email"`, "email", email)
		}
		if fields.EmailVerified.Set {
			set(`"emailVerified"`, "emailVerified", fields.EmailVerified.Value)
		}
	}

	var user *store.User
	err = p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if user, err = updateUserColumns(ctx, tx, userID, cols, c.Now()); err != nil {
			return err
		}
		details := map[string]any{"fields": changed}
		// Banning through update-user ends the user's sessions, as ban-user
		// does.
		if banning {
			n, err := store.DeleteUserSessions(ctx, tx, userID)
			if err != nil {
				return err
			}
			details["sessionsRevoked"] = n
		}
		return p.record(c, tx, a, ActionUserUpdate, userID, details)
	})
	if store.IsUniqueViolation(err) {
		return errUserAlreadyExists
	}
	if errors.Is(err, store.ErrNotFound) {
		return errUserNotFound
	}
	if err != nil {
		return err
	}
	return c.JSON(user)
}

func (p *Plugin) setUserPassword(c *auth.Context) error {
	in := bodyInput(c)
	newPassword := in.String("newPassword", api.MaxLen(4*p.svc.Config.MaxPasswordLength))
	if v, ok := in.obj["newPassword"]; ok && v == "" {
		in.Issue("newPassword", "newPassword cannot be empty")
	}
	userID := in.coercedString("userId")
	if v, ok := in.obj["userId"]; ok && jsString(v) == "" {
		in.Issue("userId", "userId cannot be empty")
	}
	if err := in.Err(); err != nil {
		return err
	}
	a, err := p.authorize(c, "user", "set-password", errNotAllowedToSetPassword)
	if err != nil {
		return err
	}
	cfg := p.svc.Config
	if n := api.UTF16Len(newPassword); n < cfg.MinPasswordLength {
		return api.ErrPasswordTooShort
	} else if n > cfg.MaxPasswordLength {
		return api.ErrPasswordTooLong
	}
	ctx := c.Ctx()
	if _, err := store.UserByID(ctx, p.svc.Store.Pool, userID); errors.Is(err, store.ErrNotFound) {
		return errUserNotFound
	} else if err != nil {
		return err
	}
	hash, err := password.Hash(ctx, newPassword)
	if err != nil {
		return err
	}

	now := c.Now()
	err = p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		updated, err := store.SetCredentialPassword(ctx, tx, userID, hash, now)
		if err != nil {
			return err
		}
		if !updated {
			// A user created without a password gets a credential account.
			account := &store.Account{
				ID: randstr.ID(), Issuer: store.CredentialIssuer, AccountID: userID,
				ProviderID: store.CredentialProvider, UserID: userID, Password: &hash,
				CreatedAt: now, UpdatedAt: now,
			}
			if err := store.InsertAccount(ctx, tx, account); err != nil {
				return err
			}
		}
		// Existing sessions stay valid, as in Better Auth.
		return p.record(c, tx, a, ActionUserSetPassword, userID, map[string]any{"createdAccount": !updated})
	})
	if err != nil {
		return err
	}
	return c.JSON(map[string]bool{"status": true})
}

func (p *Plugin) removeUser(c *auth.Context) error {
	in := bodyInput(c)
	userID := in.coercedString("userId")
	if err := in.Err(); err != nil {
		return err
	}
	a, err := p.authorize(c, "user", "delete", errNotAllowedToDelete)
	if err != nil {
		return err
	}
	// Better Auth checks "yourself" before existence.
	if a.isSelf(userID) {
		return errCannotRemoveYourself
	}
	ctx := c.Ctx()
	err = p.svc.Store.InTx(ctx, func(tx pgx.Tx) error {
		removed, err := removeUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		return p.record(c, tx, a, ActionUserRemove, userID, map[string]any{
			"email": removed.Email, "sessionsRevoked": removed.Sessions, "apiKeysRemoved": removed.APIKeys,
		})
	})
	if errors.Is(err, store.ErrNotFound) {
		return errUserNotFound
	}
	if err != nil {
		return err
	}
	return c.JSON(map[string]bool{"success": true})
}
