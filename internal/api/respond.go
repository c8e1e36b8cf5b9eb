package api

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/authd/authd/internal/wire"
)

// WriteJSON sends v with status 200 and Content-Type application/json
// exactly, as Better Auth does (no charset).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := wire.Marshal(v)
	if err != nil {
		slog.Error("encode response", "error", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// WriteError sends err. An *Error becomes its status and body; anything
// else is an internal failure: it is logged and sent as a bare 500
// (no body, no Content-Type), so nothing about the cause leaks.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	WriteErrorLog(w, r, err, slog.Default())
}

// WriteErrorLog is WriteError with the logger that records internal
// failures, so they reach the operator's configured log.
func WriteErrorLog(w http.ResponseWriter, r *http.Request, err error, log *slog.Logger) {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path,
			"request_id", RequestID(r.Context()), "error", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	for k, vs := range apiErr.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if apiErr.Status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		if seconds, ok := retryAfterSeconds(apiErr.Details); ok {
			w.Header().Set("Retry-After", strconv.FormatInt(seconds, 10))
		}
	}
	if apiErr.EmptyBody {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(apiErr.Status)
		return
	}
	body := struct {
		Message string         `json:"message"`
		Code    string         `json:"code,omitempty"`
		Details map[string]any `json:"details,omitempty"`
	}{apiErr.Message, apiErr.Code, apiErr.Details}
	WriteJSON(w, apiErr.Status, body)
}

// retryAfterSeconds turns a details.tryAgainIn in milliseconds (the API Key
// plugin's rate limit) into whole seconds, rounded up, for Retry-After.
func retryAfterSeconds(details map[string]any) (int64, bool) {
	var ms int64
	switch v := details["tryAgainIn"].(type) {
	case int64:
		ms = v
	case int:
		ms = int64(v)
	case float64:
		ms = int64(math.Ceil(v))
	default:
		return 0, false
	}
	if ms < 0 {
		ms = 0
	}
	return (ms + 999) / 1000, true
}

// NotFound sends 404 with an empty body and no Content-Type, as Better
// Auth does for unknown paths and wrong methods.
func NotFound(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusNotFound)
}
