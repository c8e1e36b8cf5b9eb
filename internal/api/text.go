package api

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"
)

// Postgres cannot store a NUL character in a text column and rejects
// invalid UTF-8, so a request carrying either would fail deep inside a
// query with a 500. These checks reject such input up front with a 400
// that names the field.

// checkText reports the first string in a decoded body (values and object
// keys, at any depth) that contains a NUL character or invalid UTF-8.
// path is the dotted location of v, such as "body.metadata".
func checkText(v any, path string) error {
	switch t := v.(type) {
	case string:
		return checkString(t, path)
	case []any:
		for i, item := range t {
			if err := checkText(item, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		// Sorted, so the error names the same field on every request.
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := checkString(k, path); err != nil {
				return NewError(400, "VALIDATION_ERROR",
					fmt.Sprintf("[%s] Invalid input: an object key contains a NUL character or invalid UTF-8", path))
			}
			if err := checkText(t[k], path+"."+k); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkString(s, path string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return NewError(400, "VALIDATION_ERROR",
			fmt.Sprintf("[%s] Invalid input: NUL characters (\\u0000) are not allowed", path))
	}
	if !utf8.ValidString(s) {
		return NewError(400, "VALIDATION_ERROR", fmt.Sprintf("[%s] Invalid input: the value is not valid UTF-8", path))
	}
	return nil
}

// CheckQuery rejects query parameters whose names or values contain a NUL
// character or invalid UTF-8 after percent-decoding (%00, %ff).
func CheckQuery(q url.Values) error {
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := checkString(k, "query"); err != nil {
			return NewError(400, "VALIDATION_ERROR",
				"[query] Invalid input: a parameter name contains a NUL character or invalid UTF-8")
		}
		for _, v := range q[k] {
			if err := checkString(v, "query."+k); err != nil {
				return err
			}
		}
	}
	return nil
}
