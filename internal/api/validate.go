package api

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Opt is an optional input field. Set is false when the field was absent;
// Null is true when it was a JSON null (only for nullable fields).
type Opt[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// Ptr returns a pointer to the value, or nil when absent or null.
func (o Opt[T]) Ptr() *T {
	if !o.Set || o.Null {
		return nil
	}
	v := o.Value
	return &v
}

// Validator checks a body or query against a schema declared field by field
// and collects issues in declaration order, formatted like zod 4.3's
// default messages under Better Auth's "[body.field] message" convention.
type Validator struct {
	where  string // "body" or "query"
	obj    map[string]any
	issues []string
	query  bool
}

// ValidateBody starts validating a JSON body that must be an object.
func ValidateBody(b Body) *Validator {
	v := &Validator{where: "body"}
	v.obj = v.requireObject(b, "object")
	return v
}

// ValidateBodyRecord is ValidateBody for Better Auth schemas that are an
// object intersected with a record (sign-up): an absent body yields both
// issues.
func ValidateBodyRecord(b Body) *Validator {
	v := &Validator{where: "body"}
	v.obj = v.requireObject(b, "object")
	if v.obj == nil {
		v.issues = append(v.issues, fmt.Sprintf("[body] Invalid input: expected record, received %s", kindOf(b.Value, b.Present)))
	}
	return v
}

// ValidateRecord validates a body whose schema is a plain record
// (update-user): only the record issue is reported.
func ValidateRecord(b Body) *Validator {
	v := &Validator{where: "body"}
	v.obj = v.requireObject(b, "record")
	return v
}

// ValidateOptionalBody accepts an absent body as an empty object.
func ValidateOptionalBody(b Body) *Validator {
	if !b.Present {
		return &Validator{where: "body", obj: map[string]any{}}
	}
	return ValidateBody(b)
}

// ValidateQuery validates query parameters; values are strings.
func ValidateQuery(b Body) *Validator {
	return &Validator{where: "query", obj: b.Object(), query: true}
}

func (v *Validator) requireObject(b Body, expected string) map[string]any {
	if obj, ok := b.Value.(map[string]any); ok && b.Present {
		return obj
	}
	v.issues = append(v.issues, fmt.Sprintf("[%s] Invalid input: expected %s, received %s", v.where, expected, kindOf(b.Value, b.Present)))
	return nil
}

// Err returns the collected issues as a VALIDATION_ERROR, or nil.
func (v *Validator) Err() error {
	if len(v.issues) == 0 {
		return nil
	}
	return NewError(400, "VALIDATION_ERROR", strings.Join(v.issues, "; "))
}

// Issue records a custom issue at path (dotted below the body or query).
func (v *Validator) Issue(path, message string) {
	v.issues = append(v.issues, fmt.Sprintf("[%s.%s] %s", v.where, path, message))
}

// OK reports whether no issue was recorded so far.
func (v *Validator) OK() bool { return len(v.issues) == 0 }

// Raw returns a field as decoded JSON and whether it is present.
func (v *Validator) Raw(name string) (any, bool) {
	if v.obj == nil {
		return nil, false
	}
	val, ok := v.obj[name]
	return val, ok
}

// Rule constrains a field beyond its type.
type Rule func(v *Validator, name string, value any) bool

func (v *Validator) field(name string, nullable bool) (any, bool, bool) {
	if v.obj == nil {
		return nil, false, false
	}
	val, present := v.obj[name]
	if present && val == nil && nullable {
		return nil, true, true
	}
	return val, present, false
}

func (v *Validator) typeIssue(name, expected string, value any, present bool) {
	v.Issue(name, fmt.Sprintf("Invalid input: expected %s, received %s", expected, kindOf(value, present)))
}

func (v *Validator) apply(name string, value any, rules []Rule) bool {
	for _, r := range rules {
		if !r(v, name, value) {
			return false
		}
	}
	return true
}

// String reads a required string field.
func (v *Validator) String(name string, rules ...Rule) string {
	o := v.OptString(name, rules...)
	if v.obj != nil && !o.Set {
		if _, present := v.obj[name]; !present {
			v.typeIssue(name, "string", nil, false)
		}
	}
	return o.Value
}

// OptString reads an optional string field.
func (v *Validator) OptString(name string, rules ...Rule) Opt[string] {
	return v.optString(name, false, rules)
}

// NullableString reads an optional string field that may be JSON null.
func (v *Validator) NullableString(name string, rules ...Rule) Opt[string] {
	return v.optString(name, true, rules)
}

func (v *Validator) optString(name string, nullable bool, rules []Rule) Opt[string] {
	val, present, null := v.field(name, nullable)
	if null {
		return Opt[string]{Set: true, Null: true}
	}
	if !present {
		return Opt[string]{}
	}
	s, ok := val.(string)
	if !ok {
		v.typeIssue(name, "string", val, true)
		return Opt[string]{}
	}
	if !v.apply(name, s, rules) {
		return Opt[string]{}
	}
	return Opt[string]{Set: true, Value: s}
}

// Bool reads a required boolean field.
func (v *Validator) Bool(name string, rules ...Rule) bool {
	o := v.OptBool(name, rules...)
	if v.obj != nil && !o.Set {
		if _, present := v.obj[name]; !present {
			v.typeIssue(name, "boolean", nil, false)
		}
	}
	return o.Value
}

// OptBool reads an optional boolean field.
func (v *Validator) OptBool(name string, rules ...Rule) Opt[bool] {
	val, present, null := v.field(name, false)
	if null {
		return Opt[bool]{Set: true, Null: true}
	}
	if !present {
		return Opt[bool]{}
	}
	b, ok := val.(bool)
	if !ok {
		v.typeIssue(name, "boolean", val, true)
		return Opt[bool]{}
	}
	return Opt[bool]{Set: true, Value: b}
}

// OptNumber reads an optional JSON number. In a query the string is coerced
// as zod's z.coerce.number does.
func (v *Validator) OptNumber(name string, rules ...Rule) Opt[float64] {
	return v.optNumber(name, false, rules)
}

// NullableNumber reads an optional number that may be JSON null.
func (v *Validator) NullableNumber(name string, rules ...Rule) Opt[float64] {
	return v.optNumber(name, true, rules)
}

func (v *Validator) optNumber(name string, nullable bool, rules []Rule) Opt[float64] {
	val, present, null := v.field(name, nullable)
	if null {
		return Opt[float64]{Set: true, Null: true}
	}
	if !present {
		return Opt[float64]{}
	}
	var f float64
	switch n := val.(type) {
	case json.Number:
		parsed, err := n.Float64()
		if err != nil {
			v.typeIssue(name, "number", val, true)
			return Opt[float64]{}
		}
		f = parsed
	case string:
		if !v.query {
			v.typeIssue(name, "number", val, true)
			return Opt[float64]{}
		}
		parsed, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
		if strings.TrimSpace(n) == "" {
			parsed, err = 0, nil
		}
		if err != nil || math.IsNaN(parsed) {
			v.Issue(name, "Invalid input: expected number, received NaN")
			return Opt[float64]{}
		}
		f = parsed
	default:
		v.typeIssue(name, "number", val, true)
		return Opt[float64]{}
	}
	if !v.apply(name, f, rules) {
		return Opt[float64]{}
	}
	return Opt[float64]{Set: true, Value: f}
}

// OptInt reads an optional number that must be an integer.
func (v *Validator) OptInt(name string, rules ...Rule) Opt[int64] {
	return v.optInt(name, false, rules)
}

// NullableInt reads an optional integer that may be JSON null.
func (v *Validator) NullableInt(name string, rules ...Rule) Opt[int64] {
	return v.optInt(name, true, rules)
}

func (v *Validator) optInt(name string, nullable bool, rules []Rule) Opt[int64] {
	before := len(v.issues)
	n := v.optNumber(name, nullable, append([]Rule{integer}, rules...))
	if !n.Set || n.Null || len(v.issues) > before {
		return Opt[int64]{Set: n.Set && n.Null, Null: n.Null}
	}
	return Opt[int64]{Set: true, Value: int64(n.Value)}
}

func integer(v *Validator, name string, value any) bool {
	f := value.(float64)
	if f != math.Trunc(f) || math.IsInf(f, 0) {
		v.Issue(name, "Invalid input: expected int, received number")
		return false
	}
	if math.Abs(f) > 1<<53 {
		v.Issue(name, "Too big: expected int to be <=9007199254740991")
		return false
	}
	return true
}

// MinLen requires at least n characters (UTF-16 code units, as JS counts).
func MinLen(n int) Rule {
	return func(v *Validator, name string, value any) bool {
		if s, ok := value.(string); ok && UTF16Len(s) < n {
			v.Issue(name, fmt.Sprintf("Too small: expected string to have >=%d characters", n))
			return false
		}
		return true
	}
}

// MaxLen allows at most n characters (UTF-16 code units). authd adds such
// limits where Better Auth has none, so one request cannot store megabytes.
func MaxLen(n int) Rule {
	return func(v *Validator, name string, value any) bool {
		if s, ok := value.(string); ok && UTF16Len(s) > n {
			v.Issue(name, fmt.Sprintf("Too big: expected string to have <=%d characters", n))
			return false
		}
		return true
	}
}

// Min requires a number >= n.
func Min(n float64) Rule {
	return func(v *Validator, name string, value any) bool {
		if f, ok := value.(float64); ok && f < n {
			v.Issue(name, fmt.Sprintf("Too small: expected number to be >=%s", formatNumber(n)))
			return false
		}
		return true
	}
}

// Max requires a number <= n.
func Max(n float64) Rule {
	return func(v *Validator, name string, value any) bool {
		if f, ok := value.(float64); ok && f > n {
			v.Issue(name, fmt.Sprintf("Too big: expected number to be <=%s", formatNumber(n)))
			return false
		}
		return true
	}
}

// OneOf requires one of the given strings.
func OneOf(options ...string) Rule {
	return func(v *Validator, name string, value any) bool {
		s, _ := value.(string)
		for _, o := range options {
			if s == o {
				return true
			}
		}
		quoted := make([]string, len(options))
		for i, o := range options {
			quoted[i] = strconv.Quote(o)
		}
		v.Issue(name, "Invalid option: expected one of "+strings.Join(quoted, "|"))
		return false
	}
}

// Email requires zod 4's email format.
func Email(v *Validator, name string, value any) bool {
	if s, ok := value.(string); ok && !IsEmail(s) {
		v.Issue(name, "Invalid email address")
		return false
	}
	return true
}

var emailPattern = regexp.MustCompile(`^[A-Za-z0-9_'+\-.]*[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$`)

// IsEmail implements zod 4's z.email() pattern. RE2 has no lookahead, so
// the two negative lookaheads are separate checks.
func IsEmail(s string) bool {
	if strings.HasPrefix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	return emailPattern.MatchString(s)
}

// UTF16Len returns the length of s as JavaScript's String.length counts it.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += len(utf16.Encode([]rune{r}))
	}
	return n
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Truthy is JavaScript truthiness of a decoded JSON value: null, false, 0
// (in any spelling) and "" are false, while objects and arrays, even empty,
// are true. Better Auth uses it to decide whether a field counts as set.
func Truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case string:
		return t != ""
	case json.Number:
		f, err := t.Float64()
		return err != nil || f != 0
	}
	return true
}

// JSONKind names a decoded JSON value as zod's "received …" does.
func JSONKind(v any) string { return kindOf(v, true) }

// kindOf names a decoded JSON value as zod's "received …" does.
func kindOf(v any, present bool) string {
	if !present {
		return "undefined"
	}
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}
