package api

import (
	"errors"
	"log/slog"
	"net/http"

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
// else is an internal failure: it is logged and answered with a bare 500
// (no body, no Content-Type), so nothing about the cause leaks.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path,
			"request_id", RequestID(r.Context()), "error", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	for k, vs := range apiErr.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
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

// NotFound answers 404 with an empty body and no Content-Type: Better
// Auth's answer for unknown paths and wrong methods.
func NotFound(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusNotFound)
}
