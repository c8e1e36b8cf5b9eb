package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/password"
	"github.com/authd/authd/internal/randstr"
	"github.com/authd/authd/internal/store"
)

// Field length limits that authd adds where Better Auth has none, so one
// request cannot store megabytes in a user row.
const (
	maxNameLength  = 256
	maxEmailLength = 254
	maxImageLength = 2048
	maxURLLength   = 2048
)

// adminUserFields are the admin plugin's input:false columns. A client may
// not set them; banned is the exception that is silently reset to false on
// sign-up because it has a default.
var adminUserFields = []string{"role", "banned", "banReason", "banExpires"}

func (s *Service) mountCore(r *Router) {
	r.Get("/ok", func(c *Context) error { return c.JSON(map[string]bool{"ok": true}) })
	r.Post("/sign-up/email", s.signUpEmail, AcceptForm())
	r.Post("/sign-in/email", s.signInEmail, AcceptForm())
	r.Post("/sign-out", s.signOut)
	r.Get("/get-session", s.getSession)
	r.Post("/get-session", s.postGetSession)
	r.Get("/list-sessions", s.listSessions)
	r.Post("/revoke-session", s.revokeSession)
	r.Post("/revoke-sessions", s.revokeSessions)
	r.Post("/revoke-other-sessions", s.revokeOtherSessions)
	r.Post("/update-user", s.updateUser)
	r.Post("/change-password", s.changePassword)
	r.Post("/verify-password", s.verifyPassword)
	r.Get("/list-accounts", s.listAccounts)
	r.Post("/update-session", s.updateSession)
	r.Post("/change-email", s.changeEmail)
	r.Post("/delete-user", s.deleteUser)
	r.Post("/request-password-reset", s.requestPasswordReset)
	r.Get("/reset-password/{token}", s.resetPasswordLink)
	r.Post("/reset-password", s.resetPassword)
	r.Post("/send-verification-email", s.sendVerificationEmail)
	r.Get("/error", s.errorPage)
}

// checkPasswordLength counts UTF-16 code units of the password as received,
// before NFKC, as Better Auth does.
func (s *Service) checkPasswordLength(pw string) error {
	n := api.UTF16Len(pw)
	if n < s.Config.MinPasswordLength {
		return api.ErrPasswordTooShort
	}
	if n > s.Config.MaxPasswordLength {
		return api.ErrPasswordTooLong
	}
	return nil
}

type signUpResponse struct {
	Token *string     `json:"token"`
	User  *store.User `json:"user"`
}

func (s *Service) signUpEmail(c *Context) error {
	v := api.ValidateBodyRecord(c.Body)
	name := v.String("name", api.MaxLen(maxNameLength))
	email := v.String("email", api.Email, api.MaxLen(maxEmailLength))
	pw := v.String("password", api.MinLen(1))
	image := v.OptString("image", api.MaxLen(maxImageLength))
	v.OptString("callbackURL", api.MaxLen(maxURLLength))
	rememberMe := v.OptBool("rememberMe")
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.checkFormCSRF(c.R); err != nil {
		return err
	}
	if !s.Config.SignUpEnabled {
		return api.ErrSignUpDisabled
	}
	if err := s.checkPasswordLength(pw); err != nil {
		return err
	}
	for _, f := range adminUserFields {
		if val, ok := c.Body.Field(f); ok && f != "banned" && api.Truthy(val) {
			return api.FieldNotAllowed(f)
		}
	}

	ctx := c.Ctx()
	now := c.Now()
	email = strings.ToLower(email)
	tokenless := s.Config.RequireEmailVerification || !s.Config.AutoSignIn

	hash, err := password.Hash(ctx, pw)
	if err != nil {
		return err
	}
	role := s.Config.DefaultRole
	banned := false
	user := &store.User{
		ID: randstr.ID(), Name: name, Email: email, Image: image.Ptr(),
		CreatedAt: now, UpdatedAt: now, Role: &role, Banned: &banned,
	}
	var session *store.Session
	err = s.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.InsertUser(ctx, tx, user); err != nil {
			return err
		}
		account := &store.Account{
			ID: randstr.ID(), Issuer: store.CredentialIssuer, AccountID: user.ID,
			ProviderID: store.CredentialProvider, UserID: user.ID, Password: &hash,
			CreatedAt: now, UpdatedAt: now,
		}
		if err := store.InsertAccount(ctx, tx, account); err != nil {
			return err
		}
		for _, h := range s.signUpHooks {
			if err := h.AfterSignUp(ctx, tx, user); err != nil {
				return err
			}
		}
		if tokenless {
			return nil
		}
		session, err = c.CreateSession(ctx, tx, user, SessionOptions{DontRemember: rememberMe.Set && !rememberMe.Value})
		return err
	})
	if store.IsUniqueViolation(err) {
		if tokenless {
			// Enumeration-safe: a taken email gets the same response as a new one.
			// The password was already hashed above, so timing matches too.
			return c.JSON(signUpResponse{User: &store.User{
				ID: randstr.ID(), Name: name, Email: email, Image: image.Ptr(), CreatedAt: now, UpdatedAt: now,
				Role: &role, Banned: &banned,
			}})
		}
		return api.ErrUserAlreadyExists
	}
	if err != nil {
		return err
	}
	if session == nil {
		return c.JSON(signUpResponse{User: user})
	}
	c.SetSessionCookie(session.Token, rememberMe.Set && !rememberMe.Value)
	return c.JSON(signUpResponse{Token: &session.Token, User: user})
}

// CheckFormCSRF runs Better Auth's formCsrf middleware for a plugin
// endpoint that has it (the Email OTP plugin's send-verification-otp).
// Call it after validating the body, as Better Auth does.
func (c *Context) CheckFormCSRF() error { return c.Service.checkFormCSRF(c.R) }

// checkFormCSRF is Better Auth's formCsrf middleware of sign-in and
// sign-up: it blocks login CSRF from cross-site form posts, which carry no
// cookie and so escape the global origin check.
func (s *Service) checkFormCSRF(r *http.Request) error {
	if len(r.Header.Values("Cookie")) > 0 {
		return s.Origins.requireTrustedOrigin(r)
	}
	site, mode := r.Header.Get("Sec-Fetch-Site"), r.Header.Get("Sec-Fetch-Mode")
	if site != "" || mode != "" || r.Header.Get("Sec-Fetch-Dest") != "" {
		if site == "cross-site" && mode == "navigate" {
			return api.ErrCrossSiteNavigation
		}
		return s.Origins.requireTrustedOrigin(r)
	}
	if r.Header.Get("Origin") != "" || r.Header.Get("Referer") != "" {
		return s.Origins.requireTrustedOrigin(r)
	}
	return nil
}

type signInResponse struct {
	Redirect bool        `json:"redirect"`
	Token    string      `json:"token"`
	URL      *string     `json:"url,omitempty"`
	User     *store.User `json:"user"`
}

func (s *Service) signInEmail(c *Context) error {
	v := c.ValidateBody()
	email := v.String("email", api.MaxLen(maxEmailLength))
	pw := v.String("password", api.MaxLen(4*s.Config.MaxPasswordLength))
	callbackURL := v.OptString("callbackURL", api.MaxLen(maxURLLength))
	rememberMe := v.OptBool("rememberMe")
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.checkFormCSRF(c.R); err != nil {
		return err
	}
	if !api.IsEmail(email) {
		return api.ErrInvalidEmail
	}

	ctx := c.Ctx()
	user, hash, err := s.credentials(ctx, strings.ToLower(email))
	if err != nil {
		return err
	}
	if user == nil || hash == "" {
		// Same scrypt work as a real check, so the response time does not
		// reveal whether the email exists.
		password.VerifyDummy(ctx, pw)
		return api.ErrInvalidEmailOrPassword
	}
	ok, err := password.Verify(ctx, hash, pw)
	if errors.Is(err, password.ErrMalformedHash) {
		// Better Auth also sends a bare 500 here. The log names the user.
		s.Log.ErrorContext(ctx, "stored password hash is malformed", "user_id", user.ID)
		return err
	}
	if err != nil {
		return err
	}
	if !ok {
		return api.ErrInvalidEmailOrPassword
	}
	if s.Config.RequireEmailVerification && !user.EmailVerified {
		for _, sender := range s.verifiers {
			if err := sender.SendVerificationOnSignIn(ctx, user); err != nil {
				return err
			}
		}
		return api.ErrEmailNotVerified
	}
	dontRemember := rememberMe.Set && !rememberMe.Value
	// The password was checked outside any transaction, during a slow
	// scrypt. Inserting the session under a lock on the checked hash keeps
	// a concurrent change-password or ban from missing it.
	var session *store.Session
	err = s.Store.InTx(ctx, func(tx pgx.Tx) error {
		current, currentHash, err := store.LockCredentials(ctx, tx, user.ID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && currentHash != hash) {
			return api.ErrInvalidEmailOrPassword
		}
		if err != nil {
			return err
		}
		session, err = c.CreateSession(ctx, tx, current, SessionOptions{DontRemember: dontRemember})
		return err
	})
	if err != nil {
		return err
	}
	c.SetSessionCookie(session.Token, dontRemember)
	resp := signInResponse{Token: session.Token, User: user}
	if callbackURL.Set {
		// An empty callbackURL is echoed as "url":"" without a redirect,
		// as Better Auth does.
		resp.URL = &callbackURL.Value
	}
	if callbackURL.Value != "" {
		resp.Redirect = true
		c.W.Header().Set("Location", callbackURL.Value)
	}
	return c.JSON(resp)
}

// credentials loads a user and the password hash of their credential
// account in one query. Both are empty when the email is unknown. The
// account is matched as store.CredentialAccount matches it, without the
// issuer that Better Auth 1.7.5 does not write.
func (s *Service) credentials(ctx context.Context, email string) (*store.User, string, error) {
	row := s.Store.Pool.QueryRow(ctx, `SELECT `+prefixColumns("u", store.UserColumns)+`, COALESCE(a."password", '')
		FROM "user" u LEFT JOIN "account" a ON a."userId" = u."id" AND a."providerId" = $2
			AND a."accountId" = u."id"
		WHERE u."email" = $1`, email, store.CredentialProvider)
	var u store.User
	var hash string
	err := row.Scan(&u.ID, &u.Name, &u.Email, &u.EmailVerified, &u.Image, &u.CreatedAt, &u.UpdatedAt,
		&u.Role, &u.Banned, &u.BanReason, &u.BanExpires, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	return &u, hash, nil
}

func prefixColumns(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

func (s *Service) signOut(c *Context) error {
	v := api.ValidateOptionalBody(c.Body)
	v.OptString("callbackURL")
	v.OptBool("disableRedirect")
	v.OptString("state")
	if err := v.Err(); err != nil {
		return err
	}
	if signed, _ := c.sessionToken(); signed != "" {
		if token, ok := s.Cookies.Unsign(signed); ok {
			if err := store.DeleteSessionByToken(c.Ctx(), s.Store.Pool, token); err != nil {
				return err
			}
		}
	}
	c.ClearSessionCookies()
	return c.JSON(map[string]bool{"success": true})
}

func (s *Service) updateUser(c *Context) error {
	v := api.ValidateRecord(c.Body)
	name := v.OptString("name", api.MaxLen(maxNameLength))
	image := v.NullableString("image", api.MaxLen(maxImageLength))
	if err := v.Err(); err != nil {
		return err
	}
	caller, err := c.RequireSession()
	if err != nil {
		return err
	}
	if email, ok := c.Body.Field("email"); ok && api.Truthy(email) {
		return api.ErrEmailCanNotBeUpdated
	}
	for _, f := range adminUserFields {
		if val, ok := c.Body.Field(f); ok && api.Truthy(val) {
			return api.FieldNotAllowed(f)
		}
	}
	if !name.Set && !image.Set {
		return api.ErrNoFieldsToUpdate
	}
	if _, err := store.UpdateUserProfile(c.Ctx(), s.Store.Pool, caller.User.ID, name.Ptr(), image.Ptr(), image.Set, c.Now()); err != nil {
		return err
	}
	if caller.APIKeyID == "" {
		c.SetSessionCookie(caller.Session.Token, caller.DontRemember)
	}
	return c.JSON(map[string]bool{"status": true})
}

type changePasswordResponse struct {
	Token *string     `json:"token"`
	User  *store.User `json:"user"`
}

func (s *Service) changePassword(c *Context) error {
	v := c.ValidateBody()
	newPassword := v.String("newPassword")
	currentPassword := v.String("currentPassword", api.MaxLen(4*s.Config.MaxPasswordLength))
	revokeOthers := v.OptBool("revokeOtherSessions")
	if err := v.Err(); err != nil {
		return err
	}
	caller, err := c.RequireSession()
	if err != nil {
		return err
	}
	if err := s.checkPasswordLength(newPassword); err != nil {
		return err
	}
	ctx := c.Ctx()
	account, err := store.CredentialAccount(ctx, s.Store.Pool, caller.User.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && account.Password == nil) {
		return api.ErrCredentialAccountMissing
	}
	if err != nil {
		return err
	}
	newHash, err := password.Hash(ctx, newPassword)
	if err != nil {
		return err
	}
	ok, err := password.Verify(ctx, *account.Password, currentPassword)
	if err != nil {
		return err
	}
	if !ok {
		return api.ErrInvalidPassword
	}

	var session *store.Session
	err = s.Store.InTx(ctx, func(tx pgx.Tx) error {
		// Another change or a reset may have replaced the hash while this
		// request verified the current password against the old one.
		current, err := store.LockCredentialPassword(ctx, tx, caller.User.ID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && current != *account.Password) {
			return api.ErrInvalidPassword
		}
		if err != nil {
			return err
		}
		if _, err := store.SetCredentialPassword(ctx, tx, caller.User.ID, newHash, c.Now()); err != nil {
			return err
		}
		if !revokeOthers.Value {
			return nil
		}
		if _, err := store.DeleteUserSessions(ctx, tx, caller.User.ID); err != nil {
			return err
		}
		session, err = c.CreateSession(ctx, tx, caller.User, SessionOptions{DontRemember: caller.DontRemember})
		return err
	})
	if err != nil {
		return err
	}
	resp := changePasswordResponse{User: caller.User}
	if session != nil {
		c.SetSessionCookie(session.Token, caller.DontRemember)
		resp.Token = &session.Token
	}
	return c.JSON(resp)
}

func (s *Service) verifyPassword(c *Context) error {
	v := c.ValidateBody()
	pw := v.String("password", api.MaxLen(4*s.Config.MaxPasswordLength))
	if err := v.Err(); err != nil {
		return err
	}
	caller, err := c.RequireSession()
	if err != nil {
		return err
	}
	account, err := store.CredentialAccount(c.Ctx(), s.Store.Pool, caller.User.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && account.Password == nil) {
		password.VerifyDummy(c.Ctx(), pw)
		return api.ErrInvalidPassword
	}
	if err != nil {
		return err
	}
	ok, err := password.Verify(c.Ctx(), *account.Password, pw)
	if err != nil {
		return err
	}
	if !ok {
		return api.ErrInvalidPassword
	}
	return c.JSON(map[string]bool{"status": true})
}

func (s *Service) listAccounts(c *Context) error {
	caller, err := c.RequireSession()
	if err != nil {
		return err
	}
	accounts, err := store.ListAccounts(c.Ctx(), s.Store.Pool, caller.User.ID)
	if err != nil {
		return err
	}
	return c.JSON(accounts)
}

func (s *Service) updateSession(c *Context) error {
	v := api.ValidateRecord(c.Body)
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := c.RequireSession(); err != nil {
		return err
	}
	return api.ErrNoFieldsToUpdate
}

// changeEmail is disabled in authd's core, as in Better Auth's default
// configuration.
func (s *Service) changeEmail(c *Context) error {
	v := c.ValidateBody()
	v.String("newEmail", api.Email, api.MaxLen(maxEmailLength))
	v.OptString("callbackURL")
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := c.RequireSession(); err != nil {
		return err
	}
	return api.ErrChangeEmailDisabled
}

// deleteUser is disabled, as in Better Auth's default configuration: the
// answer is 404 with an empty JSON body. Admins remove users instead.
func (s *Service) deleteUser(c *Context) error {
	v := api.ValidateOptionalBody(c.Body)
	v.OptString("callbackURL")
	v.OptString("password")
	v.OptString("token")
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := c.RequireSession(); err != nil {
		return err
	}
	return api.Empty(http.StatusNotFound)
}

// requestPasswordReset is Better Auth's link-based reset, which authd does
// not mail; the Email OTP plugin's code-based reset replaces it.
func (s *Service) requestPasswordReset(c *Context) error {
	v := c.ValidateBody()
	v.String("email", api.Email)
	v.OptString("redirectTo")
	if err := v.Err(); err != nil {
		return err
	}
	return api.ErrResetPasswordDisabled
}

// sendVerificationEmail is Better Auth's link-based verification, which
// authd does not mail; the Email OTP plugin verifies with codes instead.
func (s *Service) sendVerificationEmail(c *Context) error {
	v := c.ValidateBody()
	v.String("email", api.Email)
	v.OptString("callbackURL")
	if err := v.Err(); err != nil {
		return err
	}
	return api.ErrVerificationEmailDisabled
}
