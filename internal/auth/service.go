// Package auth is authd's core: email and password accounts, sessions in
// signed cookies or bearer tokens, and the HTTP pipeline that plugins
// mount their endpoints on. It follows Better Auth 1.7's wire protocol.
package auth

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/clientip"
	"github.com/authd/authd/internal/config"
	"github.com/authd/authd/internal/ratelimit"
	"github.com/authd/authd/internal/store"
)

// Plugin adds endpoints to authd. A plugin may also implement
// Authenticator, RateLimitRuleProvider and SignUpHook.
type Plugin interface {
	// Mount registers the plugin's endpoints.
	Mount(r *Router)
}

// Authenticator authenticates a request by other means than a session
// cookie or bearer token (the API Key plugin's x-api-key). It runs on every
// endpoint after the origin check and before validation. It returns nil
// when the request does not use its scheme, and an *api.Error to reject it.
type Authenticator interface {
	Authenticate(c *Context) (*Caller, error)
}

// RateLimitRuleProvider contributes rules to the core rate limiter; they
// take precedence over the built-in ones.
type RateLimitRuleProvider interface {
	RateLimitRules() []ratelimit.PathRule
}

// SignUpHook runs inside the sign-up transaction after the user is created
// (the Email OTP plugin sends its verification code there).
type SignUpHook interface {
	AfterSignUp(ctx context.Context, tx pgx.Tx, user *store.User) error
}

// EmailVerificationSender replaces the link-based verification email that
// sign-in sends to unverified users when verification is required.
type EmailVerificationSender interface {
	SendVerificationOnSignIn(ctx context.Context, user *store.User) error
}

// Service is the core server state shared by every request.
type Service struct {
	Config  *config.Config
	Store   *store.Store
	Cookies *Cookies
	Origins *Origins
	IPs     *clientip.Resolver
	Log     *slog.Logger
	// Now is the clock. Tests replace it to move time without sleeping.
	Now func() time.Time

	limiter *limiter
	// serviceKeyTouches maps service key ids to their last recorded use.
	serviceKeyTouches sync.Map
	plugins           []Plugin
	authenticators    []Authenticator
	signUpHooks       []SignUpHook
	verifiers         []EmailVerificationSender
}

// New builds the service. Plugins are registered with Use before Handler.
func New(cfg *config.Config, st *store.Store, log *slog.Logger) (*Service, error) {
	ips, err := clientip.NewResolver(cfg.TrustedProxies, cfg.IPv6Subnet)
	if err != nil {
		return nil, err
	}
	s := &Service{
		Config:  cfg,
		Store:   st,
		Cookies: NewCookies(cfg.Secret, cfg.CookiePrefix, cfg.CookieSecure, cfg.CookieDomain, cfg.CookieSameSite),
		Origins: NewOrigins(cfg.BaseURL, cfg.TrustedOrigins),
		IPs:     ips,
		Log:     log,
		Now:     time.Now,
	}
	rules := ratelimit.DefaultRules()
	rules.Default = ratelimit.Rule{Window: cfg.RateLimitWindow, Max: cfg.RateLimitMax}
	s.limiter = &limiter{rules: rules, store: ratelimit.NewMemory()}
	return s, nil
}

// SetRateLimitStore replaces the in-process counters, for example with a
// store shared by every replica.
func (s *Service) SetRateLimitStore(st ratelimit.Store) { s.limiter.store = st }

// Use registers a plugin and its optional hooks.
func (s *Service) Use(p Plugin) {
	s.plugins = append(s.plugins, p)
	if a, ok := p.(Authenticator); ok {
		s.authenticators = append(s.authenticators, a)
	}
	if rp, ok := p.(RateLimitRuleProvider); ok {
		s.limiter.rules.Plugin = append(s.limiter.rules.Plugin, rp.RateLimitRules()...)
	}
	if h, ok := p.(SignUpHook); ok {
		s.signUpHooks = append(s.signUpHooks, h)
	}
	if v, ok := p.(EmailVerificationSender); ok {
		s.verifiers = append(s.verifiers, v)
	}
}

// Router registers endpoints below the base path.
type Router struct {
	mux *chi.Mux
	svc *Service
	// Routes lists every registered endpoint, for the OpenAPI check.
	Routes []Route
}

// Route is one registered endpoint.
type Route struct {
	Method string
	Path   string
}

// HandlerFunc handles one endpoint. It returns an *api.Error for expected
// failures. Any other error is logged and sent as a bare 500.
type HandlerFunc func(c *Context) error

// routeOptions are per-endpoint settings.
type routeOptions struct {
	media []string
}

// RouteOption configures an endpoint.
type RouteOption func(*routeOptions)

// AcceptForm lets the endpoint take form-encoded bodies besides JSON, as
// sign-in and sign-up do. The 415 message lists the form type first.
func AcceptForm() RouteOption {
	return func(o *routeOptions) { o.media = []string{api.MediaForm, api.MediaJSON} }
}

// Get registers a GET endpoint.
func (r *Router) Get(path string, h HandlerFunc, opts ...RouteOption) {
	r.Handle(http.MethodGet, path, h, opts...)
}

// Post registers a POST endpoint.
func (r *Router) Post(path string, h HandlerFunc, opts ...RouteOption) {
	r.Handle(http.MethodPost, path, h, opts...)
}

// Handle registers an endpoint: the adapter reads the body, checks origins
// and callback URLs, runs the authenticators and turns the returned error
// into the response.
func (r *Router) Handle(method, path string, h HandlerFunc, opts ...RouteOption) {
	o := routeOptions{media: []string{api.MediaJSON}}
	for _, opt := range opts {
		opt(&o)
	}
	r.Routes = append(r.Routes, Route{Method: method, Path: path})
	svc := r.svc
	r.mux.MethodFunc(method, path, func(w http.ResponseWriter, req *http.Request) {
		c := &Context{W: w, R: req, Service: svc}
		if err := c.prepare(o); err != nil {
			api.WriteErrorLog(w, req, err, svc.Log)
			return
		}
		if err := h(c); err != nil {
			api.WriteErrorLog(w, req, err, svc.Log)
		}
	})
}

// prepare runs the steps every endpoint shares, in Better Auth's order:
// body and media type, origin and callback checks, then authenticators.
// Query parameters that Postgres could not store (NUL, invalid UTF-8) are
// refused with the body checks.
func (c *Context) prepare(o routeOptions) error {
	body, err := api.ReadBody(c.R, o.media, c.Service.Config.MaxBodyBytes)
	if err != nil {
		return err
	}
	c.Body = body
	if err := api.CheckQuery(c.R.URL.Query()); err != nil {
		return err
	}
	if c.R.Method != http.MethodGet && c.R.Method != http.MethodHead && c.R.Method != http.MethodOptions {
		if err := c.Service.Origins.checkRequestOrigin(c.R); err != nil {
			return err
		}
		if err := c.Service.Origins.checkCallbackURLs(c.R, body); err != nil {
			return err
		}
	}
	for _, a := range c.Service.authenticators {
		caller, err := a.Authenticate(c)
		if err != nil {
			return err
		}
		if caller != nil {
			c.caller, c.resolved = caller, true
			break
		}
	}
	return nil
}

// Context is the request state that an endpoint handler works with.
type Context struct {
	W       http.ResponseWriter
	R       *http.Request
	Body    api.Body
	Service *Service

	caller   *Caller
	resolved bool
}

// Ctx returns the request context.
func (c *Context) Ctx() context.Context { return c.R.Context() }

// Now returns the service clock's time.
func (c *Context) Now() time.Time { return c.Service.Now() }

// ClientIP returns the normalised client address (trusted proxies only).
func (c *Context) ClientIP() string { return c.Service.IPs.ClientIP(c.R) }

// JSON sends v with status 200.
func (c *Context) JSON(v any) error {
	api.WriteJSON(c.W, http.StatusOK, v)
	return nil
}

// ValidateBody starts validating the body as an object.
func (c *Context) ValidateBody() *api.Validator { return api.ValidateBody(c.Body) }

// ValidateQuery starts validating the query string.
func (c *Context) ValidateQuery() *api.Validator {
	return api.ValidateQuery(api.QueryBody(c.R.URL.Query()))
}
