package mail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTemplatesDefaultsRender(t *testing.T) {
	templates, err := LoadTemplates("")
	if err != nil {
		t.Fatalf("LoadTemplates: %v", err)
	}

	for _, kind := range Types {
		t.Run(kind, func(t *testing.T) {
			data := Data{Email: "alice@example.com", OTP: "012345", ExpiresInMinutes: 5, AppName: "Acme & Co"}
			m, err := templates.Render(kind, data)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}

			if m.To != "alice@example.com" {
				t.Errorf("To = %q, want alice@example.com", m.To)
			}
			if m.Type != kind {
				t.Errorf("Type = %q, want %q", m.Type, kind)
			}
			if !strings.Contains(m.Subject, "012345") {
				t.Errorf("Subject %q does not contain the code", m.Subject)
			}
			if !strings.Contains(m.Subject, "Acme & Co") {
				t.Errorf("Subject %q does not contain the unescaped app name", m.Subject)
			}
			if !strings.Contains(m.Text, "\n    012345\n") {
				t.Errorf("Text does not hold the code on a line of its own:\n%s", m.Text)
			}
			if !strings.Contains(m.Text, "5 minutes") {
				t.Errorf("Text does not state the lifetime:\n%s", m.Text)
			}
			if !strings.Contains(m.HTML, ">012345<") {
				t.Errorf("HTML does not hold the code in an element of its own:\n%s", m.HTML)
			}
			if !strings.Contains(m.HTML, "Acme &amp; Co") || strings.Contains(m.HTML, "Acme & Co") {
				t.Errorf("HTML does not escape the app name:\n%s", m.HTML)
			}
			if err := m.validate(); err != nil {
				t.Errorf("rendered message is invalid: %v", err)
			}
		})
	}
}

func TestTemplatesTypesDiffer(t *testing.T) {
	templates, err := LoadTemplates("")
	if err != nil {
		t.Fatalf("LoadTemplates: %v", err)
	}

	subjects := map[string]string{}
	for _, kind := range Types {
		m, err := templates.Render(kind, Data{Email: "a@example.com", OTP: "1", ExpiresInMinutes: 5})
		if err != nil {
			t.Fatalf("Render %s: %v", kind, err)
		}
		if other, ok := subjects[m.Subject]; ok {
			t.Errorf("types %s and %s render the same subject %q", other, kind, m.Subject)
		}
		subjects[m.Subject] = kind
	}
}

func TestRenderSingularMinute(t *testing.T) {
	templates, err := LoadTemplates("")
	if err != nil {
		t.Fatalf("LoadTemplates: %v", err)
	}

	m, err := templates.Render(TypeSignIn, Data{Email: "a@example.com", OTP: "1", ExpiresInMinutes: 1})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if !strings.Contains(m.Text, "expires in 1 minute.") {
		t.Errorf("Text does not say \"1 minute\":\n%s", m.Text)
	}
}

func TestRenderDefaultAppName(t *testing.T) {
	templates, err := LoadTemplates("")
	if err != nil {
		t.Fatalf("LoadTemplates: %v", err)
	}

	m, err := templates.Render(TypeSignIn, Data{Email: "a@example.com", OTP: "1", ExpiresInMinutes: 5})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if !strings.Contains(m.Subject, DefaultAppName) {
		t.Errorf("Subject %q does not contain %q", m.Subject, DefaultAppName)
	}
}

func TestRenderUnknownType(t *testing.T) {
	templates, err := LoadTemplates("")
	if err != nil {
		t.Fatalf("LoadTemplates: %v", err)
	}

	_, err = templates.Render("Sign-In", Data{Email: "a@example.com", OTP: "1"})
	if err == nil || !strings.Contains(err.Error(), `unknown mail type "Sign-In"`) {
		t.Errorf("Render error = %v, want unknown mail type", err)
	}
}

func TestTemplatesOverrideDir(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "sign-in.subject.tmpl", "Code {{.OTP}} for {{.Email}}\n")
	writeFile(t, dir, "sign-in.html.tmpl", "<b>{{.OTP}}</b> {{.Email}}")
	writeFile(t, dir, "notes.txt", "not a template, ignored")

	templates, err := LoadTemplates(dir)
	if err != nil {
		t.Fatalf("LoadTemplates: %v", err)
	}

	m, err := templates.Render(TypeSignIn, Data{Email: "<x>@example.com", OTP: "999000", ExpiresInMinutes: 5})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if m.Subject != "Code 999000 for <x>@example.com" {
		t.Errorf("Subject = %q, want the override", m.Subject)
	}
	if m.HTML != "<b>999000</b> &lt;x&gt;@example.com" {
		t.Errorf("HTML = %q, want the escaped override", m.HTML)
	}
	if !strings.Contains(m.Text, "Use this code to sign in") {
		t.Errorf("Text is not the default although no override exists:\n%s", m.Text)
	}

	other, err := templates.Render(TypeChangeEmail, Data{Email: "a@example.com", OTP: "1", ExpiresInMinutes: 5})
	if err != nil {
		t.Fatalf("Render change-email: %v", err)
	}
	if strings.HasPrefix(other.Subject, "Code ") {
		t.Errorf("change-email Subject %q took the sign-in override", other.Subject)
	}
}

func TestTemplatesBadFile(t *testing.T) {
	cases := []struct {
		name    string
		file    string
		content string
		want    string
	}{
		{"syntax error", "email-verification.txt.tmpl", "Code: {{.OTP", "email-verification.txt.tmpl"},
		{"unknown field", "forget-password.html.tmpl", "<p>{{.Code}}</p>", "forget-password.html.tmpl"},
		{"subject with line break", "change-email.subject.tmpl", "Your code\n{{.OTP}}", "change-email.subject.tmpl"},
		{"empty subject", "sign-in.subject.tmpl", "  \n", "sign-in.subject.tmpl"},
		{"unknown type", "signin.subject.tmpl", "x", "signin.subject.tmpl"},
		{"unknown part", "sign-in.text.tmpl", "x", "sign-in.text.tmpl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, tc.file, tc.content)

			_, err := LoadTemplates(dir)
			if err == nil {
				t.Fatal("LoadTemplates succeeded, want an error")
			}
			if !strings.Contains(err.Error(), filepath.Join(dir, tc.want)) {
				t.Errorf("error %q does not name the file %s", err, filepath.Join(dir, tc.want))
			}
		})
	}
}

func TestTemplatesMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")

	_, err := LoadTemplates(dir)
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), EnvTemplatesDir) {
		t.Errorf("LoadTemplates error = %v, want one naming %s and %s", err, dir, EnvTemplatesDir)
	}
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
