package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Media types an endpoint may accept.
const (
	MediaJSON = "application/json"
	MediaForm = "application/x-www-form-urlencoded"
)

// DefaultMaxBodyBytes is the request body limit when none is configured.
const DefaultMaxBodyBytes = 1 << 20

// Body is a parsed request body. It distinguishes an absent body from an empty
// object, and an absent field from a JSON null.
type Body struct {
	// Present is false when the request carried no body at all.
	Present bool
	// Value is the decoded JSON value: map[string]any, []any, string,
	// json.Number, bool or nil. Form bodies decode to map[string]any of
	// strings.
	Value any
}

// Object returns the body as a JSON object, or nil when it is not one.
func (b Body) Object() map[string]any {
	m, _ := b.Value.(map[string]any)
	return m
}

// Field returns a top-level field and whether it is present. A JSON null
// is present with a nil value.
func (b Body) Field(name string) (any, bool) {
	m := b.Object()
	if m == nil {
		return nil, false
	}
	v, ok := m[name]
	return v, ok
}

// ErrBodyTooLarge is returned when a body exceeds the configured limit.
func ErrBodyTooLarge(limit int64) *Error {
	return NewError(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE",
		fmt.Sprintf("Request body is larger than the limit of %d bytes", limit))
}

// ReadBody reads and decodes the request body. GET and HEAD requests, and
// requests without content, have an absent body. allowed lists the accepted
// media types in the order the 415 message names them.
func ReadBody(r *http.Request, allowed []string, limit int64) (Body, error) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Body == nil || r.ContentLength == 0 {
		return Body{}, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return Body{}, NewError(http.StatusBadRequest, "BAD_REQUEST", "Failed to read request body")
	}
	if int64(len(raw)) > limit {
		return Body{}, ErrBodyTooLarge(limit)
	}
	if len(raw) == 0 {
		return Body{}, nil
	}

	contentType := r.Header.Get("Content-Type")
	media := matchMediaType(contentType, allowed)
	if media == "" {
		list := strings.Join(allowed, ", ")
		if strings.TrimSpace(contentType) == "" {
			return Body{}, NewError(http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE",
				"Content-Type is required. Allowed types: "+list)
		}
		return Body{}, NewError(http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE",
			fmt.Sprintf("Content-Type %q is not allowed. Allowed types: %s", contentType, list))
	}

	if media == MediaForm {
		values, err := url.ParseQuery(string(raw))
		if err != nil {
			return Body{}, NewError(http.StatusBadRequest, "BAD_REQUEST", "Invalid form data in request body")
		}
		obj := make(map[string]any, len(values))
		for k, vs := range values {
			obj[k] = vs[len(vs)-1]
		}
		if err := checkText(obj, "body"); err != nil {
			return Body{}, err
		}
		return Body{Present: true, Value: obj}, nil
	}

	// The Fetch API's text() drops a UTF-8 byte order mark before Better
	// Auth parses the body, so a JSON body may start with one.
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return Body{}, ErrInvalidJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return Body{}, ErrInvalidJSON
	}
	if err := checkText(v, "body"); err != nil {
		return Body{}, err
	}
	return Body{Present: true, Value: v}, nil
}

// matchMediaType lower-cases the header, strips its parameters and accepts
// an exact or substring match, as better-call 1.4 does.
func matchMediaType(header string, allowed []string) string {
	media, _, err := mime.ParseMediaType(header)
	if err != nil {
		media = strings.TrimSpace(strings.SplitN(header, ";", 2)[0])
	}
	media = strings.ToLower(media)
	if media == "" {
		return ""
	}
	for _, a := range allowed {
		if media == a || strings.Contains(media, a) {
			return a
		}
	}
	return ""
}

// QueryBody turns a query string into a Body for validation: a key given
// once is a string, a key given more than once is an array of strings.
func QueryBody(q url.Values) Body {
	obj := make(map[string]any, len(q))
	for k, vs := range q {
		if len(vs) == 1 {
			obj[k] = vs[0]
			continue
		}
		arr := make([]any, len(vs))
		for i, s := range vs {
			arr[i] = s
		}
		obj[k] = arr
	}
	return Body{Present: true, Value: obj}
}
