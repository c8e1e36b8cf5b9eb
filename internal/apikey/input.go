package apikey

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/wire"
)

// prefixRule is Better Auth's schema rule for a prefix, with its message.
func prefixRule(v *api.Validator, name string, value any) bool {
	if s, ok := value.(string); ok && !prefixPattern.MatchString(s) {
		v.Issue(name, "Invalid prefix format, must be alphanumeric and contain only underscores and hyphens.")
		return false
	}
	return true
}

// permissionsField reads a record of string arrays ({resource: [action]})
// as zod's z.record(z.string(), z.array(z.string())) does. set is false
// when the field is absent, and null is true for a JSON null when nullable.
func permissionsField(v *api.Validator, name string, nullable bool) (perms map[string][]string, set, null bool) {
	raw, present := v.Raw(name)
	if !present {
		return nil, false, false
	}
	if raw == nil && nullable {
		return nil, true, true
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		v.Issue(name, "Invalid input: expected record, received "+api.JSONKind(raw))
		return nil, false, false
	}
	// Go maps have no order, so sorting keeps the issue list stable.
	resources := make([]string, 0, len(obj))
	for r := range obj {
		resources = append(resources, r)
	}
	sort.Strings(resources)
	perms = make(map[string][]string, len(obj))
	valid := true
	for _, r := range resources {
		list, ok := obj[r].([]any)
		if !ok {
			v.Issue(name+"."+r, "Invalid input: expected array, received "+api.JSONKind(obj[r]))
			valid = false
			continue
		}
		actions := make([]string, 0, len(list))
		for i, item := range list {
			s, ok := item.(string)
			if !ok {
				v.Issue(fmt.Sprintf("%s.%s.%d", name, r, i), "Invalid input: expected string, received "+api.JSONKind(item))
				valid = false
				continue
			}
			actions = append(actions, s)
		}
		perms[r] = actions
	}
	if !valid {
		return nil, false, false
	}
	return perms, true, false
}

// coercedString reads a field the way zod's z.coerce.string() does: any
// present value becomes its JavaScript String() form, so it never fails.
func coercedString(v *api.Validator, name string) api.Opt[string] {
	raw, present := v.Raw(name)
	if !present {
		return api.Opt[string]{}
	}
	return api.Opt[string]{Set: true, Value: jsString(raw)}
}

// jsString is JavaScript's String(value) for decoded JSON.
func jsString(value any) string {
	switch t := value.(type) {
	case nil:
		return "null"
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		if f, err := t.Float64(); err == nil {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		return t.String()
	case []any:
		parts := make([]string, len(t))
		for i, item := range t {
			if item != nil {
				parts[i] = jsString(item)
			}
		}
		return strings.Join(parts, ",")
	}
	return "[object Object]"
}

// isObject is JavaScript's typeof value === "object" for decoded JSON:
// objects, arrays and null.
func isObject(value any) bool {
	switch value.(type) {
	case nil, map[string]any, []any:
		return true
	}
	return false
}

// integerFields checks that the numbers a service caller may set are
// integers that fit the table's columns. Better Auth's schema takes any
// number and its database then rejects fractions with a bare 500.
func integerFields(fields map[string]api.Opt[float64], max float64) error {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	var issues []string
	for _, name := range names {
		f := fields[name]
		if !f.Set || f.Null {
			continue
		}
		switch {
		case f.Value != math.Trunc(f.Value):
			issues = append(issues, fmt.Sprintf("[body.%s] Invalid input: expected int, received number", name))
		case math.Abs(f.Value) > max:
			issues = append(issues, fmt.Sprintf("[body.%s] Too big: expected int to be <=%.0f", name, max))
		}
	}
	if len(issues) == 0 {
		return nil
	}
	return api.NewError(400, "VALIDATION_ERROR", strings.Join(issues, "; "))
}

// int64Ptr converts a set, non-null number to an integer pointer.
func int64Ptr(f api.Opt[float64]) *int64 {
	if !f.Set || f.Null {
		return nil
	}
	n := int64(f.Value)
	return &n
}

// marshalJSON encodes a decoded JSON value as JSON.stringify would, except
// that object keys come out sorted, which JSON readers do not tell apart.
func marshalJSON(value any) (string, error) {
	data, err := wire.Marshal(value)
	if err != nil {
		return "", err
	}
	return string(data), nil
}
