package api_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authd/authd/internal/api"
)

// The verdicts of zod 4's z.email(), which Better Auth validates with.
func TestIsEmail(t *testing.T) {
	for _, s := range []string{"A@B.CO", "a+b@x.io", "user@xn--bcher-kva.ch", "a@b-.co", "o'brien@example.com"} {
		if !api.IsEmail(s) {
			t.Errorf("IsEmail(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"a@b", "a@b.c", "a@localhost", "a..b@x.co", ".a@x.co", "a.@x.co", "ü@x.co", " a@b.co", "a@b.co ", "a@[1.2.3.4]", ""} {
		if api.IsEmail(s) {
			t.Errorf("IsEmail(%q) = true, want false", s)
		}
	}
}

func TestUTF16Len(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "é": 1, "😀": 2, "😀😀😀😀": 8} {
		if got := api.UTF16Len(s); got != want {
			t.Errorf("UTF16Len(%q) = %d, want %d", s, got, want)
		}
	}
}

func read(t *testing.T, contentType, body string) (api.Body, *api.Error) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	b, err := api.ReadBody(req, []string{api.MediaJSON}, 64)
	var apiErr *api.Error
	if err != nil && !errors.As(err, &apiErr) {
		t.Fatalf("ReadBody returned a %T: %v", err, err)
	}
	return b, apiErr
}

func TestReadBody(t *testing.T) {
	cases := []struct {
		name, contentType, body string
		status                  int // 0 when the body is accepted
		present                 bool
	}{
		{"object", "application/json", `{"a":1}`, 0, true},
		{"charset parameter", "application/json; charset=utf-8", `{}`, 0, true},
		{"upper-case type", "Application/JSON", `{}`, 0, true},
		{"byte order mark", "application/json", "\xef\xbb\xbf{}", 0, true},
		{"null", "application/json", `null`, 0, true},
		{"empty", "application/json", ``, 0, false},
		{"malformed", "application/json", `{"a":`, 400, false},
		{"two values", "application/json", `{} {}`, 400, false},
		{"vendor type", "application/vnd.api+json", `{}`, 415, false},
		{"missing type", "", `{}`, 415, false},
		{"over the limit", "application/json", `{"a":"` + strings.Repeat("x", 64) + `"}`, 413, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := read(t, c.contentType, c.body)
			switch {
			case c.status == 0 && err != nil:
				t.Fatalf("rejected: %v", err)
			case c.status != 0 && (err == nil || err.Status != c.status):
				t.Fatalf("error %v, want status %d", err, c.status)
			case c.status == 0 && b.Present != c.present:
				t.Errorf("Present = %v, want %v", b.Present, c.present)
			}
		})
	}
}

func TestValidatorMessages(t *testing.T) {
	body, _ := read(t, "application/json", `{"n":1,"b":null,"s":"x"}`)
	v := api.ValidateBody(body)
	v.String("n")
	v.OptBool("b")
	v.String("missing")
	v.String("s", api.MinLen(2))
	want := "[body.n] Invalid input: expected string, received number; " +
		"[body.b] Invalid input: expected boolean, received null; " +
		"[body.missing] Invalid input: expected string, received undefined; " +
		"[body.s] Too small: expected string to have >=2 characters"
	var apiErr *api.Error
	if err := v.Err(); !errors.As(err, &apiErr) || apiErr.Code != "VALIDATION_ERROR" || apiErr.Message != want {
		t.Errorf("error %v\nwant message %s", err, want)
	}
}
