package apikey

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/authd/authd/internal/wire"
)

// Key is a row of the "apikey" table. Hash is the "key" column, because
// the plaintext key is never stored. Columns that Better Auth leaves nullable
// are pointers, because rows written by other tools may hold NULL.
type Key struct {
	ID                  string
	ConfigID            string
	Name                *string
	Start               *string
	ReferenceID         string
	Prefix              *string
	Hash                string
	RefillInterval      *int64 // milliseconds
	RefillAmount        *int64
	LastRefillAt        *time.Time
	Enabled             *bool
	RateLimitEnabled    *bool
	RateLimitTimeWindow *int64 // milliseconds
	RateLimitMax        *int64
	RequestCount        *int64
	Remaining           *int64 // nil is unlimited
	LastRequest         *time.Time
	ExpiresAt           *time.Time
	CreatedAt           time.Time
	UpdatedAt           time.Time
	Permissions         *string // JSON text
	Metadata            *string // JSON text
}

// keyColumns is the select list that scanKey reads, in table order.
var keyColumns = []string{`"id"`, `"configId"`, `"name"`, `"start"`, `"referenceId"`, `"prefix"`, `"key"`,
	`"refillInterval"`, `"refillAmount"`, `"lastRefillAt"`, `"enabled"`, `"rateLimitEnabled"`,
	`"rateLimitTimeWindow"`, `"rateLimitMax"`, `"requestCount"`, `"remaining"`, `"lastRequest"`,
	`"expiresAt"`, `"createdAt"`, `"updatedAt"`, `"permissions"`, `"metadata"`}

// scanTargets returns the destinations of keyColumns.
func (k *Key) scanTargets() []any {
	return []any{&k.ID, &k.ConfigID, &k.Name, &k.Start, &k.ReferenceID, &k.Prefix, &k.Hash,
		&k.RefillInterval, &k.RefillAmount, &k.LastRefillAt, &k.Enabled, &k.RateLimitEnabled,
		&k.RateLimitTimeWindow, &k.RateLimitMax, &k.RequestCount, &k.Remaining, &k.LastRequest,
		&k.ExpiresAt, &k.CreatedAt, &k.UpdatedAt, &k.Permissions, &k.Metadata}
}

// keyJSON is a key on the wire, in the field order of Better Auth's
// responses. userId repeats referenceId for clients of the userId era.
type keyJSON struct {
	ConfigID            string          `json:"configId"`
	Name                *string         `json:"name"`
	Start               *string         `json:"start"`
	ReferenceID         string          `json:"referenceId"`
	UserID              string          `json:"userId"`
	Prefix              *string         `json:"prefix"`
	Key                 *string         `json:"key,omitempty"`
	RefillInterval      *int64          `json:"refillInterval"`
	RefillAmount        *int64          `json:"refillAmount"`
	LastRefillAt        *string         `json:"lastRefillAt"`
	Enabled             *bool           `json:"enabled"`
	RateLimitEnabled    *bool           `json:"rateLimitEnabled"`
	RateLimitTimeWindow *int64          `json:"rateLimitTimeWindow"`
	RateLimitMax        *int64          `json:"rateLimitMax"`
	RequestCount        *int64          `json:"requestCount"`
	Remaining           *int64          `json:"remaining"`
	LastRequest         *string         `json:"lastRequest"`
	ExpiresAt           *string         `json:"expiresAt"`
	CreatedAt           string          `json:"createdAt"`
	UpdatedAt           string          `json:"updatedAt"`
	Permissions         json.RawMessage `json:"permissions"`
	Metadata            json.RawMessage `json:"metadata"`
	ID                  string          `json:"id"`
}

// wireKey converts a row for a response. It never includes the plaintext
// key, which create sets itself.
func wireKey(k *Key) *keyJSON {
	metadata, _ := decodeMetadata(k.Metadata)
	return &keyJSON{
		ConfigID: k.ConfigID, Name: k.Name, Start: k.Start,
		ReferenceID: k.ReferenceID, UserID: k.ReferenceID, Prefix: k.Prefix,
		RefillInterval: k.RefillInterval, RefillAmount: k.RefillAmount, LastRefillAt: wire.NullTime(k.LastRefillAt),
		Enabled: k.Enabled, RateLimitEnabled: k.RateLimitEnabled,
		RateLimitTimeWindow: k.RateLimitTimeWindow, RateLimitMax: k.RateLimitMax,
		RequestCount: k.RequestCount, Remaining: k.Remaining,
		LastRequest: wire.NullTime(k.LastRequest), ExpiresAt: wire.NullTime(k.ExpiresAt),
		CreatedAt: wire.Time(k.CreatedAt), UpdatedAt: wire.Time(k.UpdatedAt),
		Permissions: decodePermissions(k.Permissions), Metadata: metadata, ID: k.ID,
	}
}

// decodePermissions returns the stored permissions as JSON, or nil (null)
// for NULL, empty, null or unreadable text, as Better Auth's lenient
// parser does.
func decodePermissions(text *string) json.RawMessage {
	if text == nil {
		return nil
	}
	raw := bytes.TrimSpace([]byte(*text))
	if len(raw) == 0 || !json.Valid(raw) || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	return raw
}

// decodeMetadata returns the stored metadata as JSON, or nil for none.
// Better Auth before 1.5 could store metadata encoded twice (a JSON string
// holding JSON). Such a value is decoded once more, and repaired is the
// single encoding to write back. Unreadable text counts as no metadata.
func decodeMetadata(text *string) (value json.RawMessage, repaired *string) {
	raw := decodePermissions(text)
	if len(raw) == 0 || raw[0] != '"' {
		return raw, nil
	}
	var inner string
	if err := json.Unmarshal(raw, &inner); err != nil {
		return nil, nil
	}
	innerRaw := bytes.TrimSpace([]byte(inner))
	if !json.Valid(innerRaw) {
		return nil, nil
	}
	fixed := string(innerRaw)
	if bytes.Equal(innerRaw, []byte("null")) {
		return nil, &fixed
	}
	return innerRaw, &fixed
}
