package auth

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/ratelimit"
)

// limiter applies the core rate limit rules to every path below the base
// path, before routing, as Better Auth does: unknown paths count too.
type limiter struct {
	rules ratelimit.Rules
	store ratelimit.Store
	// OnReject, when set, observes each rejection (metrics).
	onReject func(path string)
}

// OnRateLimitReject registers an observer of rate-limit rejections.
func (s *Service) OnRateLimitReject(fn func(path string)) { s.limiter.onReject = fn }

// Handler builds the HTTP handler: request ids, panic recovery, CORS, the
// rate limiter and the endpoints of the core and every plugin below the
// base path. extra is mounted outside the base path (health, metrics).
// Everything else gets 404 with an empty body.
func (s *Service) Handler(extra func(chi.Router)) (http.Handler, *Router) {
	authMux := chi.NewRouter()
	authMux.NotFound(api.NotFound)
	authMux.MethodNotAllowed(api.NotFound)
	router := &Router{mux: authMux, svc: s}
	s.mountCore(router)
	for _, p := range s.plugins {
		p.Mount(router)
	}

	root := chi.NewRouter()
	root.NotFound(api.NotFound)
	root.MethodNotAllowed(api.NotFound)
	root.Use(api.WithRequestID, LogRequests(s.Log), s.recoverPanics, s.cors)
	if extra != nil {
		extra(root)
	}
	var auth http.Handler = authMux
	if s.Config.RateLimitEnabled {
		auth = s.rateLimit(auth)
	}
	root.Mount(s.Config.BasePath, http.StripPrefix(s.Config.BasePath, auth))
	return root, router
}

func (s *Service) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Log.ErrorContext(r.Context(), "panic while serving request", "method", r.Method, "path", r.URL.Path,
					"request_id", api.RequestID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				w.WriteHeader(http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Service) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimRight(r.URL.Path, "/")
		if path == "" {
			path = "/"
		}
		rule := s.limiter.rules.For(path)
		ip := s.IPs.ClientIP(r)
		allowed, retry, err := s.limiter.store.Allow(r.Context(), ip+"|"+path, rule, s.Now())
		if err != nil {
			// Failing open keeps authd available when the shared counter
			// store is down; the error is logged for the operator.
			s.Log.ErrorContext(r.Context(), "rate limiter failed, request admitted", "path", path, "error", err)
		} else if !allowed {
			if s.limiter.onReject != nil {
				s.limiter.onReject(path)
			}
			seconds := strconv.Itoa(ratelimit.RetryAfterSeconds(retry))
			w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
			w.Header().Set("X-Retry-After", seconds)
			w.Header().Set("Retry-After", seconds)
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"message":"Too many requests. Please try again later."}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cors responds to preflight requests from trusted origins and adds the CORS
// headers, with credentials, to their actual requests. Better Auth leaves
// CORS to its host application; authd is its own host. Preflights from
// other origins fall through to the 404 that Better Auth gives OPTIONS.
func (s *Service) cors(next http.Handler) http.Handler {
	if !s.Config.CORSEnabled {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || origin == "null" || !s.Origins.Trusted(origin) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Api-Key, X-Request-Id")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		addExposeHeader(h, "set-auth-token")
		next.ServeHTTP(w, r)
	})
}

// LogRequests logs each request at debug level and server errors at error
// level, with the request id. It never logs headers or bodies, which carry
// secrets.
func LogRequests(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(sw, r)
			level := slog.LevelDebug
			if sw.status >= 500 {
				level = slog.LevelError
			}
			log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "request_id", api.RequestID(r.Context()))
		})
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
