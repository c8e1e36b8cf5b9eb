// Package app assembles authd: configuration, the database, the core
// service with its plugins, and the HTTP listeners. cmd/authd calls it, and
// so do tests that need a whole server.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/authd/authd/internal/admin"
	"github.com/authd/authd/internal/apikey"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/config"
	"github.com/authd/authd/internal/emailotp"
	"github.com/authd/authd/internal/forwardauth"
	"github.com/authd/authd/internal/mail"
	"github.com/authd/authd/internal/metrics"
	"github.com/authd/authd/internal/openapi"
	"github.com/authd/authd/internal/ratelimit"
	"github.com/authd/authd/internal/store"
	"github.com/authd/authd/internal/version"
)

// Settings is the whole configuration: the core's and each plugin's.
type Settings struct {
	Core     *config.Config
	APIKey   apikey.Config
	Admin    admin.Config
	EmailOTP emailotp.Config
	// ForwardAuth is the reverse-proxy check endpoint (operations).
	ForwardAuth forwardauth.Config

	env *config.Env
}

// LoadSettings reads every setting from the environment and reports all
// bad values at once.
func LoadSettings(lookup func(string) (string, bool)) (*Settings, error) {
	env := config.NewEnv(lookup)
	s := &Settings{Core: config.Load(env)}
	s.APIKey = apikey.LoadConfig(env)
	s.Admin = admin.LoadConfig(env)
	s.EmailOTP = emailotp.LoadConfig(env)
	s.ForwardAuth = forwardauth.LoadConfig(env)
	if err := env.Err(); err != nil {
		return nil, err
	}
	s.env = env
	return s, nil
}

// UnknownVariables returns the AUTHD_ variables of environ that no setting
// reads, such as misspelt names.
func (s *Settings) UnknownVariables(environ []string) []string {
	if s.env == nil {
		return nil
	}
	return s.env.Unknown(environ)
}

// Starter is a plugin with background work (sweeps, mail workers).
type Starter interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// App is an assembled authd.
type App struct {
	Settings *Settings
	Store    *store.Store
	Service  *auth.Service
	Handler  http.Handler
	Router   *auth.Router
	Log      *slog.Logger
	// Metrics is served on the admin listener (AUTHD_ADMIN_LISTEN_ADDR).
	Metrics  *metrics.Metrics
	starters []Starter
}

// Build connects to the database, applies migrations unless turned off,
// and assembles the service with every plugin.
func Build(ctx context.Context, settings *Settings, log *slog.Logger) (*App, error) {
	cfg := settings.Core
	if cfg.DatabaseURL == "" {
		return nil, errors.New("AUTHD_DATABASE_URL: required (make run starts a private Postgres and sets it)")
	}
	if err := cfg.EnsureSecret(); err != nil {
		return nil, err
	}
	if cfg.SecretGenerated {
		log.Warn("using a generated development secret; set AUTHD_SECRET in production", "file", cfg.DataDir+"/secret")
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, store.PoolOptions{MaxConns: int32(cfg.DBMaxConns)})
	if err != nil {
		return nil, fmt.Errorf("AUTHD_DATABASE_URL: %w; check that Postgres is running and that the URL's host, port, user, password and database are right", err)
	}
	if cfg.MigrateOnStart {
		if err := MigrateUp(ctx, cfg.DatabaseURL); err != nil {
			st.Close()
			return nil, err
		}
	}
	svc, err := auth.New(cfg, st, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	a := &App{Settings: settings, Store: st, Service: svc, Log: log, Metrics: metrics.New(version.Version)}
	if err := a.Metrics.Register(metrics.NewPoolCollector(st.Pool)); err != nil {
		st.Close()
		return nil, err
	}
	svc.OnRateLimitReject(a.Metrics.RateLimitRejected)
	a.useRateLimitStore()
	if err := a.usePlugins(); err != nil {
		st.Close()
		return nil, err
	}
	a.Handler, a.Router = svc.Handler(a.mountHealth)
	paths := make([]string, 0, len(a.Router.Routes))
	for _, rt := range a.Router.Routes {
		paths = append(paths, rt.Path)
	}
	a.Metrics.SetRoutes(cfg.BasePath, paths)
	return a, nil
}

func (a *App) usePlugins() error {
	ak, err := apikey.New(a.Service, a.Settings.APIKey)
	if err != nil {
		return fmt.Errorf("api key plugin: %w", err)
	}
	ad, err := admin.New(a.Service, a.Settings.Admin)
	if err != nil {
		return fmt.Errorf("admin plugin: %w", err)
	}
	otp, err := emailotp.New(a.Service, a.Settings.EmailOTP)
	if err != nil {
		return fmt.Errorf("email OTP plugin: %w", err)
	}
	// The plugins report to the metrics through optional methods, so this
	// file compiles whether or not a plugin offers them yet.
	if v, ok := any(ak).(interface{ OnVerify(func(code string)) }); ok {
		v.OnVerify(a.Metrics.APIKeyVerified)
		a.Metrics.InitAPIKeyVerifications()
	}
	if c, ok := any(otp).(interface{ Collectors() []prometheus.Collector }); ok {
		if err := a.Metrics.Register(c.Collectors()...); err != nil {
			return fmt.Errorf("register mail metrics: %w", err)
		}
	}
	fa := forwardauth.New(a.Service, a.Settings.ForwardAuth)
	if rc, ok := any(ad).(interface {
		UserHasPermission(ctx context.Context, user *store.User, permissions map[string][]string) (bool, error)
	}); ok {
		fa.SetRoleChecker(rc.UserHasPermission)
	}
	faPath := ""
	if a.Settings.ForwardAuth.Enabled {
		faPath = a.Settings.ForwardAuth.Path
	}
	doc, err := openapi.New(openapi.Options{BasePath: a.Settings.Core.BasePath, ForwardAuthPath: faPath})
	if err != nil {
		return err
	}
	for _, p := range []auth.Plugin{ak, ad, otp, fa, doc} {
		a.Service.Use(p)
		if s, ok := p.(Starter); ok {
			a.starters = append(a.starters, s)
		}
	}
	return nil
}

// useRateLimitStore replaces the core limiter's in-process counters with
// the Postgres table when AUTHD_RATE_LIMIT_STORAGE=database, so that limits
// hold across replicas, and schedules the cleanup of expired counters.
func (a *App) useRateLimitStore() {
	if a.Settings.Core.RateLimitStorage != "database" {
		return
	}
	svc := a.Service
	pg := ratelimit.NewPostgres(a.Store.Pool, a.Log, ratelimit.PostgresOptions{
		Now: func() time.Time { return svc.Now() },
	})
	svc.SetRateLimitStore(pg)
	a.starters = append(a.starters, pg)
}

// MigrateUp applies authd's migrations, then creates or upgrades the mail
// outbox's river tables. Both steps take advisory locks, so replicas that
// start together may all run it.
func MigrateUp(ctx context.Context, databaseURL string) error {
	if err := store.Migrate(ctx, databaseURL); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("open database for the mail outbox migration: %w", err)
	}
	defer pool.Close()
	return mail.MigrateOutbox(ctx, pool)
}

func (a *App) mountHealth(r chi.Router) {
	r.Use(a.Metrics.Middleware)
	a.routeHealth(r)
}

// routeHealth serves /healthz and /readyz, on the public listener and on
// the admin listener.
func (a *App) routeHealth(r chi.Router) {
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	r.Get("/readyz", a.ready)
}

// ready returns 200 when the database responds and every migration is
// applied, 503 otherwise.
func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	var version int64
	var dirty bool
	err := a.Store.Pool.QueryRow(ctx, `SELECT "version", "dirty" FROM "`+store.MigrationsTable+`" LIMIT 1`).Scan(&version, &dirty)
	latest, latestErr := store.LatestMigration()
	switch {
	case err != nil:
		a.Log.WarnContext(ctx, "readiness check failed", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"unavailable","reason":"database"}`))
	case latestErr != nil || dirty || uint(version) != latest:
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"unavailable","reason":"migrations"}`))
	default:
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}
}

// Run serves until ctx is cancelled, then shuts down gracefully: the
// listener closes, in-flight requests finish within the shutdown timeout,
// background workers stop and the pool closes.
func (a *App) Run(ctx context.Context) error {
	cfg := a.Settings.Core
	srv := &http.Server{
		Addr:              cfg.ListenAddr,
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("AUTHD_LISTEN_ADDR: listen on %s: %w", cfg.ListenAddr, err)
	}
	a.Log.Info("authd listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String(), "base_path", cfg.BasePath, "mode", cfg.Mode)

	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	adminSrv, err := a.serveAdmin(errc)
	if err != nil {
		_ = srv.Close()
		return err
	}
	started, err := a.startWhenMigrated(ctx)
	if err != nil {
		_ = srv.Close()
		if adminSrv != nil {
			_ = adminSrv.Close()
		}
		return err
	}
	select {
	case err := <-errc:
		_ = srv.Close()
		if adminSrv != nil {
			_ = adminSrv.Close()
		}
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if adminSrv != nil {
		// The admin listener closes last, so that metrics stay readable
		// while requests drain.
		_ = adminSrv.Shutdown(shutdownCtx)
	}
	if started {
		a.StopBackground(shutdownCtx)
	}
	a.Store.Close()
	if err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	a.Log.Info("stopped")
	return nil
}

// startWhenMigrated starts the background workers once every migration is
// applied. With AUTHD_MIGRATE_ON_START=false a replica may start before the
// migration job has run: it then serves /healthz, returns 503 from /readyz
// and waits here, instead of failing on missing tables. It returns false
// when ctx ends first.
func (a *App) startWhenMigrated(ctx context.Context) (bool, error) {
	const poll = 2 * time.Second
	var lastLog time.Time
	for {
		state, err := a.schemaState(ctx)
		if err == nil && state.UpToDate() {
			return true, a.StartBackground(ctx)
		}
		if time.Since(lastLog) > 30*time.Second {
			lastLog = time.Now()
			a.Log.Warn("waiting for the database schema before starting background workers; run authd migrate up",
				"current_version", state.Current, "latest_version", state.Latest, "dirty", state.Dirty, "error", err)
		}
		select {
		case <-ctx.Done():
			return false, nil
		case <-time.After(poll):
		}
	}
}

// schemaState reads the applied migration version through the pool.
func (a *App) schemaState(ctx context.Context) (store.MigrationState, error) {
	var state store.MigrationState
	latest, err := store.LatestMigration()
	if err != nil {
		return state, err
	}
	state.Latest = latest
	var version int64
	err = a.Store.Pool.QueryRow(ctx, `SELECT "version", "dirty" FROM "`+store.MigrationsTable+`" LIMIT 1`).Scan(&version, &state.Dirty)
	if err != nil {
		return state, err
	}
	state.Current = uint(version)
	return state, nil
}

// serveAdmin starts the admin listener (metrics and health) unless
// AUTHD_ADMIN_LISTEN_ADDR is empty. Serve errors go to errc.
func (a *App) serveAdmin(errc chan<- error) (*http.Server, error) {
	addr := a.Settings.Core.AdminListenAddr
	if addr == "" {
		a.Log.Info("admin listener disabled: AUTHD_ADMIN_LISTEN_ADDR is empty")
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("AUTHD_ADMIN_LISTEN_ADDR: listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           a.AdminHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	a.Log.Info("admin listener (metrics, health)", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("admin listener: %w", err)
		}
	}()
	return srv, nil
}

// AdminHandler serves GET /metrics, /healthz and /readyz. It belongs on a
// listener that only the operator's network reaches.
func (a *App) AdminHandler() http.Handler {
	r := chi.NewRouter()
	r.Method(http.MethodGet, "/metrics", a.Metrics.Handler())
	a.routeHealth(r)
	return r
}

// StartBackground starts the plugins' background workers.
func (a *App) StartBackground(ctx context.Context) error {
	for _, s := range a.starters {
		if err := s.Start(ctx); err != nil {
			return err
		}
	}
	return nil
}

// StopBackground stops the background workers and waits for them; errors
// are logged.
func (a *App) StopBackground(ctx context.Context) {
	for _, s := range a.starters {
		if err := s.Stop(ctx); err != nil {
			a.Log.Error("stop background worker", "error", err)
		}
	}
}

// NewLogger returns the JSON (or text) slog logger of the settings.
func NewLogger(cfg *config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}
