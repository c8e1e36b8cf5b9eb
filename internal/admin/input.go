package admin

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/auth"
)

// Length limits that authd adds where Better Auth has none, so one request
// cannot store megabytes in a user row. Name, email and image match the
// core's limits.
const (
	maxNameLength      = 256
	maxEmailLength     = 254
	maxImageLength     = 2048
	maxRoleLength      = 256
	maxBanReasonLength = 1024
	maxIDLength        = 256
	maxTokenLength     = 256
)

// input is a body validator that also keeps the body object. When the
// body is not an object, its fields are not reported one by one, because
// zod then reports only the body.
type input struct {
	*api.Validator
	obj map[string]any
}

func bodyInput(c *auth.Context) *input {
	return &input{Validator: c.ValidateBody(), obj: c.Body.Object()}
}

// coercedString reads a required field as zod's z.coerce.string() does:
// any present value becomes its JavaScript String() form, so the number 5
// is the id "5". An absent field gets zod 4.4's message.
func (in *input) coercedString(name string) string {
	if in.obj == nil {
		return ""
	}
	raw, ok := in.obj[name]
	if !ok {
		in.Issue(name, "Invalid input: expected nonoptional, received undefined")
		return ""
	}
	s := jsString(raw)
	if api.UTF16Len(s) > maxIDLength {
		in.Issue(name, fmt.Sprintf("Too big: expected string to have <=%d characters", maxIDLength))
		return ""
	}
	return s
}

// jsString is JavaScript's String(value) for decoded JSON.
func jsString(raw any) string {
	switch t := raw.(type) {
	case nil:
		return "null"
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "true"
		}
		return "false"
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			if e != nil {
				parts[i] = jsString(e)
			}
		}
		return strings.Join(parts, ",")
	}
	return "[object Object]"
}

// roleField reads a field whose schema is "string or array of strings"
// (set-role and create-user's role). The issue text is zod's for a failed
// union.
func (in *input) roleField(name string, required bool) (any, bool) {
	if in.obj == nil {
		return nil, false
	}
	raw, ok := in.obj[name]
	if !ok {
		if required {
			in.Issue(name, "Invalid input")
		}
		return nil, false
	}
	if _, ok := roleNames(raw); !ok {
		in.Issue(name, "Invalid input")
		return nil, false
	}
	return raw, true
}

// roleNames turns a role value into role names. A string is one name, and
// an array must contain only strings. ok is false for anything else, which
// Better Auth rejects with INVALID_ROLE_TYPE when the value came in data.
func roleNames(raw any) ([]string, bool) {
	switch t := raw.(type) {
	case string:
		return []string{t}, true
	case []any:
		names := make([]string, len(t))
		for i, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			names[i] = s
		}
		return names, true
	}
	return nil, false
}

// recordField reads an optional JSON object field such as data.
func (in *input) recordField(name string, required bool) (map[string]any, bool) {
	if in.obj == nil {
		return nil, false
	}
	raw, ok := in.obj[name]
	if !ok {
		if required {
			in.Issue(name, "Invalid input: expected record, received undefined")
		}
		return nil, false
	}
	m, isMap := raw.(map[string]any)
	if !isMap {
		in.Issue(name, "Invalid input: expected record, received "+api.JSONKind(raw))
		return nil, false
	}
	return m, true
}

// userData is the typed content of create-user's and update-user's data
// object. Better Auth stores whatever it gets and lets the database cast
// it. authd checks the type of every user field it accepts, and it ignores
// the keys that are not user fields, as Better Auth does.
type userData struct {
	Name          api.Opt[string]
	Email         api.Opt[string]
	EmailVerified api.Opt[bool]
	Image         api.Opt[string] // Null is a JSON null
	Banned        api.Opt[bool]
	BanReason     api.Opt[string] // Null is a JSON null
	BanExpires    api.Opt[time.Time]
	// BanExpiresNull is true for "banExpires": null.
	BanExpiresNull bool
}

// hasBanField reports whether any ban column is present, whatever its
// value, because Better Auth requires user:ban on key presence.
func hasBanField(data map[string]any) bool {
	for _, k := range []string{"banned", "banReason", "banExpires"} {
		if _, ok := data[k]; ok {
			return true
		}
	}
	return false
}

// parseUserData checks the types of data's user fields and records issues
// under [body.data.<field>].
func parseUserData(v *api.Validator, data map[string]any) userData {
	var d userData
	str := func(key string, nullable bool, max int) api.Opt[string] {
		raw, ok := data[key]
		if !ok {
			return api.Opt[string]{}
		}
		if raw == nil && nullable {
			return api.Opt[string]{Set: true, Null: true}
		}
		s, isString := raw.(string)
		if !isString {
			expected := "string"
			v.Issue("data."+key, fmt.Sprintf("Invalid input: expected %s, received %s", expected, api.JSONKind(raw)))
			return api.Opt[string]{}
		}
		if api.UTF16Len(s) > max {
			v.Issue("data."+key, fmt.Sprintf("Too big: expected string to have <=%d characters", max))
			return api.Opt[string]{}
		}
		return api.Opt[string]{Set: true, Value: s}
	}
	boolean := func(key string) api.Opt[bool] {
		raw, ok := data[key]
		if !ok {
			return api.Opt[bool]{}
		}
		b, isBool := raw.(bool)
		if !isBool {
			v.Issue("data."+key, "Invalid input: expected boolean, received "+api.JSONKind(raw))
			return api.Opt[bool]{}
		}
		return api.Opt[bool]{Set: true, Value: b}
	}

	d.Name = str("name", false, maxNameLength)
	d.Email = str("email", false, maxEmailLength)
	d.EmailVerified = boolean("emailVerified")
	d.Image = str("image", true, maxImageLength)
	d.Banned = boolean("banned")
	d.BanReason = str("banReason", true, maxBanReasonLength)
	if raw, ok := data["banExpires"]; ok {
		switch t := raw.(type) {
		case nil:
			d.BanExpiresNull = true
		case string:
			when, err := parseDate(t)
			if err != nil {
				v.Issue("data.banExpires", fmt.Sprintf("Invalid date %q: use an ISO 8601 date such as 2030-01-31T12:00:00Z", t))
				break
			}
			d.BanExpires = api.Opt[time.Time]{Set: true, Value: when}
		default:
			v.Issue("data.banExpires", "Invalid input: expected date, received "+api.JSONKind(raw))
		}
	}
	return d
}

// parseDate accepts the ISO 8601 forms that JavaScript's Date parses most
// often: a full timestamp with a zone, or a calendar date (read as UTC).
func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q", s)
}
