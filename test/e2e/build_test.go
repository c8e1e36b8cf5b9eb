// Package e2e runs the authd binary the way it is deployed: built with the
// container image's command, configured from the environment, behind a real
// nginx (and Caddy) in front of an application, on the test Postgres.
package e2e

import (
	"bufio"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// testVersion is baked into the binary through the Dockerfile's VERSION
// build argument.
const testVersion = "e2e-test"

// binary is the authd built by TestMain.
var binary string

// repoRoot is the module root, found from this file's path.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// dockerBuildCommand returns the `go build` command of the Dockerfile's
// build stage as a shell command line, without RUN and its --mount flags,
// with VERSION and the output path filled in.
func dockerBuildCommand(out string) (string, error) {
	f, err := os.Open(filepath.Join(repoRoot(), "Dockerfile"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "RUN ") || !strings.Contains(line, " go build ") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			return "", fmt.Errorf("the go build RUN line of the Dockerfile continues on the next line; keep it on one line so this test can run it")
		}
		var words []string
		for _, w := range strings.Fields(strings.TrimPrefix(line, "RUN ")) {
			if !strings.HasPrefix(w, "--mount=") {
				words = append(words, w)
			}
		}
		cmd := strings.Join(words, " ")
		if !strings.Contains(cmd, "-o /out/authd") || !strings.Contains(cmd, "${VERSION}") {
			return "", fmt.Errorf("unexpected go build line in the Dockerfile (want -o /out/authd and ${VERSION}): %s", cmd)
		}
		cmd = strings.ReplaceAll(cmd, "${VERSION}", testVersion)
		return strings.Replace(cmd, "-o /out/authd", "-o "+out, 1), nil
	}
	return "", fmt.Errorf("no RUN line with go build in the Dockerfile")
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "authd-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "authd")
	cmdline, err := dockerBuildCommand(binary)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	build := exec.Command("sh", "-c", cmdline)
	build.Dir = repoRoot()
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: build authd with the Dockerfile's command %q: %v\n", cmdline, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestStaticBinary checks the image's binary: statically linked (it runs
// on distroless/static, which has no libc), built with -trimpath and
// without cgo, and it reports the version it was built with.
func TestStaticBinary(t *testing.T) {
	f, err := elf.Open(binary)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a program interpreter (PT_INTERP): it is dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v (%v)", libs, err)
	}

	info, err := buildinfo.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("build settings CGO_ENABLED=%q -trimpath=%q, want 0 and true", settings["CGO_ENABLED"], settings["-trimpath"])
	}

	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("authd version: %v: %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != testVersion {
		t.Fatalf("authd version printed %q, want %q", got, testVersion)
	}
	fi, err := os.Stat(binary)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("binary size: %.1f MiB", float64(fi.Size())/(1<<20))
}
