package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authd/authd/internal/testdb"
)

// secret is the AUTHD_SECRET of the test stack.
const secret = "e2e-secret-0123456789abcdefghijklmnopqrstuvwxyz"

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// lockedBuffer collects a process's output for the failure message.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// authd is a running authd process.
type authd struct {
	URL         string // http://127.0.0.1:port, the public listener
	AdminURL    string
	ListenAddr  string
	DatabaseURL string
	env         []string
	cmd         *exec.Cmd
	out         *lockedBuffer
	exited      chan error
}

// startAuthd runs `authd serve` on a fresh test database and waits until
// `authd health --ready` passes. publicURL is AUTHD_BASE_URL (the proxy's
// address); extra settings come on top.
func startAuthd(t *testing.T, publicURL string, extra map[string]string) *authd {
	t.Helper()
	dbURL := testdb.New(t)
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	settings := map[string]string{
		"AUTHD_MODE":              "production",
		"AUTHD_DATABASE_URL":      dbURL,
		"AUTHD_SECRET":            secret,
		"AUTHD_BASE_URL":          publicURL,
		"AUTHD_LISTEN_ADDR":       listen,
		"AUTHD_ADMIN_LISTEN_ADDR": admin,
		"AUTHD_TRUSTED_PROXIES":   "127.0.0.1",
		"AUTHD_RATE_LIMIT":        "on",
		"AUTHD_LOG_FORMAT":        "text",
		"AUTHD_DATA_DIR":          t.TempDir(),
	}
	for k, v := range extra {
		settings[k] = v
	}
	env := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range settings {
		env = append(env, k+"="+v)
	}
	a := &authd{URL: "http://" + listen, AdminURL: "http://" + admin, ListenAddr: listen, DatabaseURL: dbURL,
		env: env, out: &lockedBuffer{}, exited: make(chan error, 1)}
	a.cmd = exec.Command(binary, "serve")
	a.cmd.Env = env
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.exited <- a.cmd.Wait() }()
	t.Cleanup(func() {
		if err := a.stop(); err != nil {
			t.Errorf("stop authd: %v\n%s", err, a.out)
		}
		if t.Failed() {
			t.Logf("authd output:\n%s", a.out)
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := a.run(context.Background(), "health", "--ready")
		if err == nil {
			break
		}
		select {
		case err := <-a.exited:
			a.exited <- err
			t.Fatalf("authd exited during start-up: %v\n%s", err, a.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("authd not ready after 30 s: %s\n%s", out, a.out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return a
}

// run runs another authd subcommand with the server's settings.
func (a *authd) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = a.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// stop sends SIGTERM and expects a clean exit within the shutdown
// timeout, as an orchestrator stops a container.
func (a *authd) stop() error {
	if a.cmd.Process == nil {
		return nil
	}
	select {
	case err := <-a.exited:
		a.exited <- err
		return fmt.Errorf("authd had already exited: %v", err)
	default:
	}
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-a.exited:
		a.exited <- err
		return err
	case <-time.After(25 * time.Second):
		_ = a.cmd.Process.Kill()
		return fmt.Errorf("authd did not stop within 25 s of SIGTERM")
	}
}

// exec runs SQL on authd's database, for set-up that has no endpoint here
// (bans, roles).
func (a *authd) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, a.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("exec %q: %v", sql, err)
	}
}

// serviceKey creates a service key with the command line, as an operator
// does.
func (a *authd) serviceKey(t *testing.T) string {
	t.Helper()
	out, err := a.run(context.Background(), "service-key", "create", "--name", "e2e-"+t.Name())
	if err != nil {
		t.Fatalf("authd service-key create: %v: %s", err, out)
	}
	return strings.TrimSpace(out)
}

// echoApp is the protected application: it responds with the path and the
// X-Auth-* and X-Forwarded-* headers it received.
func echoApp(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := map[string]string{"path": r.URL.Path}
		for name, values := range r.Header {
			if strings.HasPrefix(name, "X-Auth-") || strings.HasPrefix(name, "X-Forwarded-") {
				got[name] = strings.Join(values, ",")
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(got)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// response is a completed request through the proxy.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) echo(t *testing.T) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("the application's response is not its echo: %v: %s", err, r.Body)
	}
	return m
}

// do sends a request; headers are name, value pairs.
func do(t *testing.T, method, url string, body any, headers ...string) *response {
	t.Helper()
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// waitForPort waits until something accepts connections on addr, or the
// process's exit channel reports.
func waitForPort(t *testing.T, addr string, exited <-chan error, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		select {
		case err := <-exited:
			t.Fatalf("the proxy exited during start-up: %v\n%s", err, logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s after 15 s\n%s", addr, logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func readFile(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return string(data)
}

func deployFile(parts ...string) string {
	return filepath.Join(append([]string{repoRoot(), "deploy"}, parts...)...)
}
