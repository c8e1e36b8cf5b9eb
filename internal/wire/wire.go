// Package wire formats values the way Better Auth's JSON responses write
// them, so every package of authd produces the same bytes.
package wire

import (
	"bytes"
	"encoding/json"
	"time"
)

// TimeLayout is JavaScript's Date.toJSON format: UTC with exactly three
// fractional digits. time.RFC3339Nano would trim trailing zeros.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Time formats t in TimeLayout.
func Time(t time.Time) string { return t.UTC().Format(TimeLayout) }

// NullTime formats t, or returns nil for a nil pointer so that it encodes as
// JSON null.
func NullTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := Time(*t)
	return &s
}

// Marshal encodes v as JSON.stringify does: no HTML escaping and no trailing
// newline.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
