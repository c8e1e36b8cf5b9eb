package apikey

import (
	"github.com/authd/authd/internal/auth"
)

// verifyError is the error of a failed verification in the verify body.
type verifyError struct {
	Message string         `json:"message"`
	Code    string         `json:"code,omitempty"`
	Details map[string]any `json:"details,omitempty"`
}

// verifyResponse is the verify response: always 200, with valid telling the
// outcome, as Better Auth's in-process verify returns it.
type verifyResponse struct {
	Valid bool         `json:"valid"`
	Error *verifyError `json:"error"`
	Key   *keyJSON     `json:"key"`
}

func (p *Plugin) verify(c *auth.Context) error {
	v := c.ValidateBody()
	configID := v.OptString("configId")
	key := v.String("key")
	required, requiredSet, _ := permissionsField(v, "permissions", false)
	if err := v.Err(); err != nil {
		return err
	}
	caller, err := c.Caller()
	if err != nil {
		return err
	}
	if !p.cfg.PublicVerify && !caller.IsService() {
		return ErrServiceKeyRequired
	}

	req := useRequest{Hash: Hash(key), Now: p.now(), ConfigID: configID.Ptr()}
	if requiredSet {
		req.Required = required
	}
	res, err := p.use(c.Ctx(), req)
	if err != nil {
		return err
	}
	p.observe(res.Code)
	if res.Code != CodeValid {
		e := &verifyError{Message: verifyMessages[res.Code], Code: res.Code}
		if res.Code == CodeRateLimited {
			e.Details = map[string]any{"tryAgainIn": res.TryAgainIn}
		}
		return c.JSON(verifyResponse{Error: e})
	}
	return c.JSON(verifyResponse{Valid: true, Key: wireKey(res.Key)})
}

// deleteAllResponse is the response of delete-all-expired-api-keys.
type deleteAllResponse struct {
	Success bool         `json:"success"`
	Error   *verifyError `json:"error"`
}

// sweepBatch bounds each DELETE of expired keys, so one statement never
// takes many row locks or runs for long.
const sweepBatch = 500

// deleteAllExpired deletes every key whose expiry has passed, without the
// sweep's grace period, as Better Auth's endpoint does.
func (p *Plugin) deleteAllExpired(c *auth.Context) error {
	caller, err := c.Caller()
	if err != nil {
		return err
	}
	if !caller.IsService() {
		return ErrServiceKeyRequired
	}
	deleted, err := p.deleteExpired(c.Ctx(), p.now())
	if err != nil {
		p.svc.Log.ErrorContext(c.Ctx(), "delete expired API keys", "deleted", deleted, "error", err)
		return c.JSON(deleteAllResponse{Error: &verifyError{Message: "Failed to delete expired API keys"}})
	}
	return c.JSON(deleteAllResponse{Success: true})
}
