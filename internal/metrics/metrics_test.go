package metrics_test

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/authd/authd/internal/authtest"
	"github.com/authd/authd/internal/mail/smtptest"
)

// documentedSeries reads the series names from the table in
// docs/metrics.md, so the test fails when the document and the code part.
func documentedSeries(t *testing.T) []string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	f, err := os.Open(filepath.Join(filepath.Dir(file), "..", "..", "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\|")
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := row.FindStringSubmatch(sc.Text()); m != nil {
			names = append(names, m[1])
		}
	}
	if len(names) < 10 {
		t.Fatalf("found only %d series in docs/metrics.md; the table format changed?", len(names))
	}
	return names
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	return families
}

// value returns the value of the series of family name whose labels
// include want, or -1 when there is none.
func value(families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := families[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func hasRoute(srv *authtest.Server, path string) bool {
	for _, r := range srv.App.Router.Routes {
		if r.Path == path {
			return true
		}
	}
	return false
}

// TestScrape drives a few requests through authd and reads them back from
// the admin listener's /metrics, then checks that every series of
// docs/metrics.md is there.
func TestScrape(t *testing.T) {
	smtp := smtptest.Start(t)
	srv := authtest.New(t, authtest.Env{
		"AUTHD_RATE_LIMIT":     "on",
		"AUTHD_RATE_LIMIT_MAX": "2",
		"AUTHD_SMTP_HOST":      smtp.Host(),
		"AUTHD_SMTP_PORT":      strconv.Itoa(smtp.Port()),
		"AUTHD_SMTP_TLS":       "none",
		"AUTHD_MAIL_FROM":      "no-reply@example.com",
	})
	admin := httptest.NewServer(srv.App.AdminHandler())
	defer admin.Close()

	for i := 0; i < 3; i++ { // the third is rate limited
		srv.Do("GET", "/ok", nil)
	}
	srv.Do("GET", "/no-such-endpoint", nil)
	user := srv.SignUp(authtest.UniqueEmail("metrics"), "password-123")
	if got := srv.Do("GET", "/get-session", nil, authtest.Bearer(user.Token)...); got.Status != http.StatusOK {
		t.Fatalf("get-session: status %d", got.Status)
	}
	apiKeys := hasRoute(srv, "/api-key/verify")
	if apiKeys {
		// An unknown key still counts as one verification outcome.
		srv.Do("GET", "/list-sessions", nil, "x-api-key", "no-such-key")
	}
	emailOTP := hasRoute(srv, "/email-otp/send-verification-otp")
	if emailOTP {
		resp := srv.Do("POST", "/email-otp/send-verification-otp", map[string]string{"email": user.Email, "type": "email-verification"})
		if resp.Status != http.StatusOK {
			t.Fatalf("send-verification-otp: %d %s", resp.Status, resp.Body)
		}
		smtp.WaitFor(t, user.Email, 10*time.Second)
	}

	families := scrape(t, admin.URL+"/metrics")
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"authd_http_requests_total", map[string]string{"route": "/api/auth/ok", "method": "GET", "status": "200"}, 2},
		{"authd_http_requests_total", map[string]string{"route": "/api/auth/ok", "method": "GET", "status": "429"}, 1},
		{"authd_http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "status": "404"}, 1},
		{"authd_http_requests_total", map[string]string{"route": "/api/auth/sign-up/email", "method": "POST", "status": "200"}, 1},
		{"authd_http_request_duration_seconds", map[string]string{"route": "/api/auth/get-session", "method": "GET"}, 1},
		{"authd_rate_limit_rejections_total", map[string]string{"route": "/api/auth/ok"}, 1},
		{"authd_build_info", nil, 1},
	}
	for _, c := range checks {
		if got := value(families, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := value(families, "authd_db_pool_acquires_total", nil); got <= 0 {
		t.Errorf("authd_db_pool_acquires_total = %v, want a positive count", got)
	}
	if apiKeys {
		if got := value(families, "authd_api_key_verifications_total", map[string]string{"code": "INVALID_API_KEY"}); got != 1 {
			t.Errorf("authd_api_key_verifications_total{code=INVALID_API_KEY} = %v, want 1", got)
		}
	}
	if emailOTP {
		// The worker counts the mail after the SMTP server accepted it,
		// which may be just after the message arrived there.
		deadline := time.Now().Add(5 * time.Second)
		for value(families, "authd_mail_sent_total", nil) != 1 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			families = scrape(t, admin.URL+"/metrics")
		}
		if got := value(families, "authd_mail_sent_total", nil); got != 1 {
			t.Errorf("authd_mail_sent_total = %v, want 1", got)
		}
	}

	for _, name := range documentedSeries(t) {
		switch {
		case name == "authd_api_key_verifications_total" && !apiKeys:
			t.Logf("%s not checked: the API Key plugin is not mounted", name)
			continue
		case strings.HasPrefix(name, "authd_mail_") && !emailOTP:
			t.Logf("%s not checked: the Email OTP plugin is not mounted", name)
			continue
		}
		if _, ok := families[name]; !ok {
			t.Errorf("documented series %s is missing from /metrics", name)
		}
	}
	for name := range families {
		if strings.HasPrefix(name, "authd_") && !documented(t, name) {
			t.Errorf("series %s is served but not documented in docs/metrics.md", name)
		}
	}
}

func documented(t *testing.T, name string) bool {
	for _, n := range documentedSeries(t) {
		if n == name {
			return true
		}
	}
	return false
}

func TestAdminHealth(t *testing.T) {
	srv := authtest.New(t, nil)
	admin := httptest.NewServer(srv.App.AdminHandler())
	defer admin.Close()
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(admin.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != `{"status":"ok"}` {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
		}
	}
}

// TestNotPublic checks that the public listener does not serve /metrics.
func TestNotPublic(t *testing.T) {
	srv := authtest.New(t, nil)
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /metrics on the public listener: status %d, want 404", resp.StatusCode)
	}
}
