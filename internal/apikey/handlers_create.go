package apikey

import (
	"encoding/json"
	"errors"
	"math"
	"time"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/randstr"
	"github.com/authd/authd/internal/store"
)

// Largest values of the integer columns: 32 bits for counts, and 2^53 (a
// JavaScript safe integer) for the millisecond columns, which authd makes
// bigint. A table that Better Auth created has 32-bit columns there too, so a
// larger value then fails with ErrValueOutOfRange.
const (
	maxCount    = math.MaxInt32
	maxDuration = 1 << 53
)

// defaultConfigID is the configId of every key authd creates: authd serves
// Better Auth's default configuration only.
const defaultConfigID = "default"

func (p *Plugin) create(c *auth.Context) error {
	// Fields in Better Auth's schema order, so issues are listed alike.
	v := c.ValidateBody()
	v.OptString("configId")
	name := v.OptString("name")
	expiresIn := v.NullableNumber("expiresIn", api.Min(1))
	prefix := v.OptString("prefix", prefixRule)
	remaining := v.NullableNumber("remaining", api.Min(0))
	metadata, metadataSet := v.Raw("metadata")
	refillAmount := v.OptNumber("refillAmount", api.Min(1))
	refillInterval := v.OptNumber("refillInterval")
	rateLimitTimeWindow := v.OptNumber("rateLimitTimeWindow")
	rateLimitMax := v.OptNumber("rateLimitMax")
	rateLimitEnabled := v.OptBool("rateLimitEnabled")
	permissions, permissionsSet, _ := permissionsField(v, "permissions", false)
	userID := coercedString(v, "userId")
	coercedString(v, "organizationId")
	if err := v.Err(); err != nil {
		return err
	}
	// An unknown configId falls back to the default configuration, as in
	// Better Auth with a single configuration.

	caller, err := c.Caller()
	if err != nil {
		return err
	}
	var ownerID string
	if caller.IsService() {
		// The service channel is Better Auth's in-process call: it names the
		// owner and may set every field.
		if !userID.Set || userID.Value == "" {
			return ErrUnauthorizedSession
		}
		if err := integerFields(map[string]api.Opt[float64]{
			"remaining": remaining, "refillAmount": refillAmount, "rateLimitMax": rateLimitMax,
		}, maxCount); err != nil {
			return err
		}
		if err := integerFields(map[string]api.Opt[float64]{
			"refillInterval": refillInterval, "rateLimitTimeWindow": rateLimitTimeWindow,
		}, maxDuration); err != nil {
			return err
		}
		if _, err := store.UserByID(c.Ctx(), p.svc.Store.Pool, userID.Value); errors.Is(err, store.ErrNotFound) {
			return api.ErrUserNotFound
		} else if err != nil {
			return err
		}
		ownerID = userID.Value
	} else {
		// Server-only fields are rejected before the session is required, so
		// an anonymous request with one gets 400, as in Better Auth.
		if refillAmount.Set || refillInterval.Set || rateLimitMax.Set || rateLimitTimeWindow.Set ||
			rateLimitEnabled.Set || permissionsSet || (remaining.Set && !remaining.Null) {
			return ErrServerOnlyProperty
		}
		// Better Auth 1.5+ rejects userId from clients even when it is the
		// caller's own id.
		if userID.Set || !caller.HasSession() {
			return ErrUnauthorizedSession
		}
		ownerID = caller.User.ID
	}

	cfg := p.cfg
	if metadataSet && api.Truthy(metadata) {
		if !cfg.EnableMetadata {
			return ErrMetadataDisabled
		}
		if !isObject(metadata) {
			return ErrInvalidMetadataType
		}
	}
	// Both messages read backwards, but the pairing of code and condition is
	// Better Auth's.
	hasAmount := refillAmount.Set && refillAmount.Value != 0
	hasInterval := refillInterval.Set && refillInterval.Value != 0
	if hasAmount && !hasInterval {
		return ErrRefillAmountNoInterval
	}
	if hasInterval && !hasAmount {
		return ErrRefillIntervalNoAmount
	}
	hasExpiresIn := expiresIn.Set && !expiresIn.Null && expiresIn.Value != 0
	if hasExpiresIn {
		if err := p.checkExpiresIn(expiresIn.Value); err != nil {
			return err
		}
	}
	if prefix.Set && prefix.Value != "" {
		if n := api.UTF16Len(prefix.Value); n < prefixMinLength || n > prefixMaxLength {
			return ErrInvalidPrefixLength
		}
	}
	if name.Set && name.Value != "" {
		if n := api.UTF16Len(name.Value); n < cfg.NameMinLength || n > cfg.NameMaxLength {
			return ErrInvalidNameLength
		}
	} else if cfg.RequireName {
		return ErrNameRequired
	}

	now := p.now()
	keyPrefix := cfg.DefaultPrefix
	if prefix.Set {
		keyPrefix = prefix.Value
	}
	plaintext := Generate(keyPrefix, cfg.KeyLength)
	k := &Key{
		ID: randstr.ID(), ConfigID: defaultConfigID, Name: name.Ptr(), Start: Start(plaintext, cfg.StartLength),
		ReferenceID: ownerID, Hash: Hash(plaintext),
		RefillInterval: int64Ptr(refillInterval), RefillAmount: int64Ptr(refillAmount),
		Enabled: ptr(true), RequestCount: ptr(int64(0)), Remaining: int64Ptr(remaining),
		CreatedAt: now, UpdatedAt: now,
	}
	if keyPrefix != "" {
		k.Prefix = &keyPrefix
	}
	switch {
	case hasExpiresIn:
		k.ExpiresAt = ptr(now.Add(secondsToDuration(expiresIn.Value)))
	case cfg.DefaultExpiresIn > 0:
		k.ExpiresAt = ptr(now.Add(cfg.DefaultExpiresIn))
	}
	k.RateLimitEnabled = ptr(cfg.RateLimitEnabled)
	if rateLimitEnabled.Set {
		k.RateLimitEnabled = ptr(rateLimitEnabled.Value)
	}
	k.RateLimitTimeWindow = ptr(cfg.RateLimitWindow.Milliseconds())
	if w := int64Ptr(rateLimitTimeWindow); w != nil {
		k.RateLimitTimeWindow = w
	}
	k.RateLimitMax = ptr(int64(cfg.RateLimitMax))
	if m := int64Ptr(rateLimitMax); m != nil {
		k.RateLimitMax = m
	}
	if permissionsSet {
		text, err := marshalJSON(permissions)
		if err != nil {
			return err
		}
		k.Permissions = &text
	}
	// Better Auth stores the JSON text "null" when there is no metadata.
	metadataText := "null"
	if metadataSet && api.Truthy(metadata) {
		if metadataText, err = marshalJSON(metadata); err != nil {
			return err
		}
	}
	k.Metadata = &metadataText

	if err := InsertKey(c.Ctx(), p.svc.Store.Pool, k); err != nil {
		if isOutOfRange(err) {
			return ErrValueOutOfRange
		}
		return err
	}

	out := wireKey(k)
	out.Key = &plaintext
	// The response echoes the request's metadata, even a falsy value that
	// was not stored, as Better Auth does.
	out.Metadata = nil
	if metadataSet && metadata != nil {
		echo, err := marshalJSON(metadata)
		if err != nil {
			return err
		}
		out.Metadata = json.RawMessage(echo)
	}
	return c.JSON(out)
}

// checkExpiresIn applies the expiry bounds to a client's expiresIn, which
// is in seconds while the bounds are in days.
func (p *Plugin) checkExpiresIn(seconds float64) error {
	if p.cfg.DisableCustomExpiresIn {
		return ErrCustomExpiryDisabled
	}
	days := seconds / (24 * 3600)
	if days < float64(p.cfg.ExpiresInMinDays) {
		return ErrExpiresInTooSmall
	}
	if days > float64(p.cfg.ExpiresInMaxDays) {
		return ErrExpiresInTooLarge
	}
	return nil
}

// secondsToDuration converts expiresIn seconds, which may be fractional,
// to whole milliseconds as a JavaScript Date would keep them.
func secondsToDuration(seconds float64) time.Duration {
	return time.Duration(seconds*1000) * time.Millisecond
}

// now is the service clock at JavaScript's millisecond precision, so
// stored times equal what the responses show.
func (p *Plugin) now() time.Time { return p.svc.Now().UTC().Truncate(time.Millisecond) }

func ptr[T any](v T) *T { return &v }
