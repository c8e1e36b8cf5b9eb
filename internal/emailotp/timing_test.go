package emailotp_test

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestSendTiming measures the send endpoints for an account's address and
// for an unknown one. The response time must not reveal which is which,
// although only a known address gets a stored code and a queued mail. The
// test fails when the medians differ by more than a quarter, and logs them
// (go test -v -run Timing).
func TestSendTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("timing measurement skipped in -short mode")
	}
	s := newServer(t, nil)
	s.seed(t)
	const rounds = 150

	for _, tc := range []struct {
		name string
		path string
		body func(email string) any
	}{
		{"send-verification-otp", "/email-otp/send-verification-otp", func(email string) any {
			return map[string]any{"email": email, "type": "email-verification"}
		}},
		{"request-password-reset", "/email-otp/request-password-reset", func(email string) any {
			return map[string]any{"email": email}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var known, unknown []time.Duration
			for i := range 2 * rounds {
				// Alternate, so that drift in the machine's load hits both sides.
				email, samples := alice, &known
				if i%2 == 1 {
					email, samples = ghost, &unknown
				}
				start := time.Now()
				resp := s.Do(http.MethodPost, tc.path, tc.body(email))
				elapsed := time.Since(start)
				if resp.Status != 200 {
					t.Fatalf("%s for %s: %d %s", tc.path, email, resp.Status, resp.Body)
				}
				if i >= 20 { // warm-up
					*samples = append(*samples, elapsed)
				}
			}
			k, u := median(known), median(unknown)
			t.Logf("%s: median %v for an account's address, %v for an unknown one (%d samples each)", tc.name, k, u, len(known))
			if diff := (k - u).Abs(); diff > max(k, u)/4 {
				t.Errorf("medians differ by %v: %v for an account, %v for an unknown address", diff, k, u)
			}
		})
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
