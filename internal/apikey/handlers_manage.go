package apikey

import (
	"errors"
	"net/http"

	"github.com/authd/authd/internal/api"
	"github.com/authd/authd/internal/auth"
	"github.com/authd/authd/internal/store"
)

// keyOwner resolves who may see keys for get, list and delete: a signed-in
// user sees their own keys (ownerID), a service caller sees every key
// (ownerID empty). Anyone else gets Better Auth's 401 UNAUTHORIZED.
func keyOwner(c *auth.Context) (caller *auth.Caller, ownerID string, err error) {
	caller, err = c.Caller()
	if err != nil {
		return nil, "", err
	}
	if caller.IsService() {
		return caller, "", nil
	}
	if !caller.HasSession() {
		return nil, "", api.ErrUnauthorized
	}
	return caller, caller.User.ID, nil
}

// findKey loads a key for the caller. Another user's key is not found
// rather than forbidden, so key ids of other users cannot be probed.
func (p *Plugin) findKey(c *auth.Context, id, ownerID string) (*Key, error) {
	k, err := KeyByID(c.Ctx(), p.svc.Store.Pool, id, ownerID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrKeyNotFound
	}
	return k, err
}

// repairMetadata writes back metadata that an old Better Auth encoded
// twice. A failure is logged, not returned: the response is correct either
// way.
func (p *Plugin) repairMetadata(c *auth.Context, k *Key) {
	if _, fixed := decodeMetadata(k.Metadata); fixed != nil {
		if err := RepairMetadata(c.Ctx(), p.svc.Store.Pool, k.ID, *k.Metadata, *fixed); err != nil {
			p.svc.Log.WarnContext(c.Ctx(), "repair double-encoded API key metadata", "api_key_id", k.ID, "error", err)
		}
	}
}

func (p *Plugin) get(c *auth.Context) error {
	v := c.ValidateQuery()
	v.OptString("configId")
	id := v.String("id")
	if err := v.Err(); err != nil {
		return err
	}
	_, ownerID, err := keyOwner(c)
	if err != nil {
		return err
	}
	k, err := p.findKey(c, id, ownerID)
	if err != nil {
		return err
	}
	p.repairMetadata(c, k)
	return c.JSON(wireKey(k))
}

func (p *Plugin) delete(c *auth.Context) error {
	v := c.ValidateBody()
	v.OptString("configId")
	id := v.String("keyId")
	if err := v.Err(); err != nil {
		return err
	}
	caller, ownerID, err := keyOwner(c)
	if err != nil {
		return err
	}
	// Better Auth checks the ban here. The core already rejects a banned
	// user's sessions with 403 BANNED_USER, so this only catches a caller
	// that the core let through.
	if caller.HasSession() && caller.User.IsBanned(p.now()) {
		return api.NewError(http.StatusUnauthorized, CodeUserBanned, verifyMessages[CodeUserBanned])
	}
	deleted, err := DeleteKey(c.Ctx(), p.svc.Store.Pool, id, ownerID)
	if err != nil {
		return err
	}
	if !deleted {
		return ErrKeyNotFound
	}
	return c.JSON(map[string]bool{"success": true})
}

func (p *Plugin) update(c *auth.Context) error {
	// Fields in Better Auth's schema order.
	v := c.ValidateBody()
	v.OptString("configId")
	id := v.String("keyId")
	userID := coercedString(v, "userId")
	name := v.OptString("name")
	enabled := v.OptBool("enabled")
	remaining := v.OptNumber("remaining", api.Min(1))
	refillAmount := v.OptNumber("refillAmount")
	refillInterval := v.OptNumber("refillInterval")
	metadata, metadataSet := v.Raw("metadata")
	expiresIn := v.NullableNumber("expiresIn", api.Min(1))
	rateLimitEnabled := v.OptBool("rateLimitEnabled")
	rateLimitTimeWindow := v.OptNumber("rateLimitTimeWindow")
	rateLimitMax := v.OptNumber("rateLimitMax")
	permissions, permissionsSet, permissionsNull := permissionsField(v, "permissions", true)
	if err := v.Err(); err != nil {
		return err
	}

	caller, err := c.Caller()
	if err != nil {
		return err
	}
	service := caller.IsService()
	if !service && !caller.HasSession() {
		return ErrUnauthorizedSession
	}
	// A client may name itself in userId (clients of the userId era do);
	// any other id is rejected.
	if !service && userID.Set && userID.Value != "" && userID.Value != caller.User.ID {
		return ErrUnauthorizedSession
	}
	if !service && (remaining.Set || refillAmount.Set || refillInterval.Set || rateLimitEnabled.Set ||
		rateLimitTimeWindow.Set || rateLimitMax.Set || permissionsSet) {
		return ErrServerOnlyProperty
	}
	ownerID := ""
	if service {
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
		// A service caller that names the owner only reaches that owner's
		// keys, as Better Auth's in-process update does.
		ownerID = userID.Value
	} else {
		ownerID = caller.User.ID
	}

	changes, invalid := p.updateChanges(updateInput{
		name: name, enabled: enabled, remaining: remaining, refillAmount: refillAmount,
		refillInterval: refillInterval, metadata: metadata, metadataSet: metadataSet, expiresIn: expiresIn,
		rateLimitEnabled: rateLimitEnabled, rateLimitTimeWindow: rateLimitTimeWindow, rateLimitMax: rateLimitMax,
		permissions: permissions, permissionsSet: permissionsSet, permissionsNull: permissionsNull,
	})
	if invalid == nil && changes.empty() {
		invalid = ErrNoValuesToUpdate
	}
	if invalid != nil {
		// Better Auth looks the key up before it checks the values, so an
		// unknown key is 404 whatever the values are.
		if _, err := p.findKey(c, id, ownerID); err != nil {
			return err
		}
		return invalid
	}

	k, err := UpdateKey(c.Ctx(), p.svc.Store.Pool, id, ownerID, changes, p.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrKeyNotFound
	case isOutOfRange(err):
		return ErrValueOutOfRange
	case err != nil:
		return err
	}
	p.repairMetadata(c, k)
	return c.JSON(wireKey(k))
}

// updateInput is the validated body of an update.
type updateInput struct {
	name                              api.Opt[string]
	enabled, rateLimitEnabled         api.Opt[bool]
	remaining, refillAmount           api.Opt[float64]
	refillInterval, expiresIn         api.Opt[float64]
	rateLimitTimeWindow, rateLimitMax api.Opt[float64]
	metadata                          any
	metadataSet                       bool
	permissions                       map[string][]string
	permissionsSet, permissionsNull   bool
}

// updateChanges builds the change set, checking values in Better Auth's
// order. It returns the first failure.
func (p *Plugin) updateChanges(in updateInput) (*keyChanges, error) {
	cfg := p.cfg
	ch := &keyChanges{}
	if in.name.Set {
		if n := api.UTF16Len(in.name.Value); n < cfg.NameMinLength || n > cfg.NameMaxLength {
			return nil, ErrInvalidNameLength
		}
		ch.Name = &in.name.Value
	}
	if in.enabled.Set {
		ch.Enabled = &in.enabled.Value
	}
	if in.expiresIn.Set {
		// Even null, which removes the expiry, counts as a custom expiry.
		if cfg.DisableCustomExpiresIn {
			return nil, ErrCustomExpiryDisabled
		}
		ch.SetExpiresAt = true
		if !in.expiresIn.Null {
			if err := p.checkExpiresIn(in.expiresIn.Value); err != nil {
				return nil, err
			}
			ch.ExpiresAt = ptr(p.now().Add(secondsToDuration(in.expiresIn.Value)))
		}
	}
	// With metadata disabled, Better Auth ignores the field here instead of
	// rejecting it as create does.
	if in.metadataSet && cfg.EnableMetadata {
		if !isObject(in.metadata) {
			return nil, ErrInvalidMetadataType
		}
		text, err := marshalJSON(in.metadata)
		if err != nil {
			return nil, err
		}
		ch.SetMetadata, ch.Metadata = true, &text
	}
	ch.Remaining = int64Ptr(in.remaining)
	if in.refillAmount.Set || in.refillInterval.Set {
		if !in.refillInterval.Set {
			return nil, ErrRefillAmountNoInterval
		}
		if !in.refillAmount.Set {
			return nil, ErrRefillIntervalNoAmount
		}
		ch.SetRefill = true
		ch.RefillAmount, ch.RefillInterval = int64Ptr(in.refillAmount), int64Ptr(in.refillInterval)
	}
	if in.rateLimitEnabled.Set {
		ch.RateLimitEnabled = &in.rateLimitEnabled.Value
	}
	ch.RateLimitTimeWindow = int64Ptr(in.rateLimitTimeWindow)
	ch.RateLimitMax = int64Ptr(in.rateLimitMax)
	if in.permissionsSet {
		// JSON.stringify(null) is the text "null", which reads back as none.
		text := "null"
		if !in.permissionsNull {
			var err error
			if text, err = marshalJSON(in.permissions); err != nil {
				return nil, err
			}
		}
		ch.SetPermissions, ch.Permissions = true, &text
	}
	return ch, nil
}

// listResponse is the list response. limit and offset are present only when
// the query set them, as in Better Auth.
type listResponse struct {
	APIKeys []*keyJSON `json:"apiKeys"`
	Total   int64      `json:"total"`
	Limit   *int64     `json:"limit,omitempty"`
	Offset  *int64     `json:"offset,omitempty"`
}

func (p *Plugin) list(c *auth.Context) error {
	v := c.ValidateQuery()
	configID := v.OptString("configId")
	organizationID := v.OptString("organizationId")
	limit := v.OptInt("limit", api.Min(0))
	offset := v.OptInt("offset", api.Min(0))
	sortBy := v.OptString("sortBy")
	sortDirection := v.OptString("sortDirection", api.OneOf("asc", "desc"))
	// userId is authd's: a service caller names whose keys to list.
	userID := v.OptString("userId")
	if err := v.Err(); err != nil {
		return err
	}
	column := ""
	if sortBy.Set && sortBy.Value != "" {
		var ok bool
		if column, ok = sortColumns[sortBy.Value]; !ok {
			// Better Auth returns a bare 500 for an unknown field.
			return api.NewError(http.StatusBadRequest, "VALIDATION_ERROR",
				`[query.sortBy] Unknown field "`+sortBy.Value+`": sort by a field of the API key, such as createdAt, name or expiresAt`)
		}
	}

	caller, ownerID, err := keyOwner(c)
	if err != nil {
		return err
	}
	if organizationID.Set && organizationID.Value != "" {
		return ErrOrganizationUnsupported
	}
	if caller.IsService() {
		if userID.Value == "" {
			return api.NewError(http.StatusBadRequest, "VALIDATION_ERROR",
				"[query.userId] Invalid input: expected string, received undefined")
		}
		ownerID = userID.Value
	}

	q := listQuery{OwnerID: ownerID, SortColumn: column, Descending: sortDirection.Value == "desc",
		Limit: limit.Ptr(), Offset: offset.Ptr()}
	if configID.Set && configID.Value != "" {
		q.ConfigID = &configID.Value
	}
	keys, total, err := ListKeys(c.Ctx(), p.svc.Store.Pool, q)
	if err != nil {
		return err
	}
	out := make([]*keyJSON, len(keys))
	for i, k := range keys {
		p.repairMetadata(c, k)
		out[i] = wireKey(k)
	}
	if p.cfg.ListLegacyArray {
		return c.JSON(out)
	}
	return c.JSON(listResponse{APIKeys: out, Total: total, Limit: limit.Ptr(), Offset: offset.Ptr()})
}
