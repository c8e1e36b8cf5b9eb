package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	texttemplate "text/template"
)

// Mail types, one per Better Auth Email OTP purpose. Each has its own templates.
const (
	TypeSignIn            = "sign-in"
	TypeEmailVerification = "email-verification"
	TypeForgetPassword    = "forget-password"
	TypeChangeEmail       = "change-email"
)

// Types lists every mail type that Templates can render.
var Types = []string{TypeSignIn, TypeEmailVerification, TypeForgetPassword, TypeChangeEmail}

// EnvTemplatesDir names the optional folder whose files replace the embedded templates.
const EnvTemplatesDir = "AUTHD_MAIL_TEMPLATES_DIR"

// DefaultAppName is used in place of an empty Data.AppName.
const DefaultAppName = "authd"

// Template file suffixes. The file for a part of a type is named "<type><suffix>", such as
// "sign-in.subject.tmpl".
const (
	suffixSubject = ".subject.tmpl"
	suffixText    = ".txt.tmpl"
	suffixHTML    = ".html.tmpl"
)

//go:embed templates/*.tmpl
var defaultTemplates embed.FS

// Data contains the values that a template can use.
type Data struct {
	// Email is the recipient address. For change-email it is the new address.
	Email string
	// OTP is the one-time code, a string of digits whose leading zeros matter.
	OTP string
	// Type is the mail type. Render sets it to the type it renders.
	Type string
	// ExpiresInMinutes is the lifetime of the code, rounded up to whole minutes.
	ExpiresInMinutes int
	// AppName names the application in the text. Render uses DefaultAppName if it is empty.
	AppName string
}

// Templates holds the parsed subject, text and HTML templates of every mail type.
type Templates struct {
	byType map[string]typeTemplates
}

type typeTemplates struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// LoadTemplates parses the embedded default templates, replacing each one for which dir has
// a file of the same name: "<type>.subject.tmpl" and "<type>.txt.tmpl" use text/template,
// "<type>.html.tmpl" uses html/template, which escapes the data for HTML. An empty dir means
// the defaults only; authd reads dir from AUTHD_MAIL_TEMPLATES_DIR.
//
// Every template is parsed and executed once with sample data, so a syntax error, an unknown
// field or a subject with a line break fails here, with an error naming the file, and not on
// the first mail. A file in dir whose name matches no type and part is an error too, so that
// a misspelt override is not silently ignored.
func LoadTemplates(dir string) (*Templates, error) {
	overrides, err := listOverrides(dir)
	if err != nil {
		return nil, err
	}

	t := &Templates{byType: make(map[string]typeTemplates, len(Types))}
	for _, kind := range Types {
		subjectSource, subjectFile, err := readTemplate(dir, overrides, kind+suffixSubject)
		if err != nil {
			return nil, err
		}
		textSource, textFile, err := readTemplate(dir, overrides, kind+suffixText)
		if err != nil {
			return nil, err
		}
		htmlSource, htmlFile, err := readTemplate(dir, overrides, kind+suffixHTML)
		if err != nil {
			return nil, err
		}

		var parsed typeTemplates
		if parsed.subject, err = texttemplate.New(subjectFile).Parse(subjectSource); err != nil {
			return nil, fmt.Errorf("parse mail template %s: %w", subjectFile, err)
		}
		if parsed.text, err = texttemplate.New(textFile).Parse(textSource); err != nil {
			return nil, fmt.Errorf("parse mail template %s: %w", textFile, err)
		}
		if parsed.html, err = htmltemplate.New(htmlFile).Parse(htmlSource); err != nil {
			return nil, fmt.Errorf("parse mail template %s: %w", htmlFile, err)
		}
		t.byType[kind] = parsed

		// A trial run catches what parsing cannot: a field that Data lacks, a call with the
		// wrong arguments, or a subject that is not one line.
		sample := Data{Email: "user@example.com", OTP: "012345", ExpiresInMinutes: 5, AppName: DefaultAppName}
		if _, err := t.Render(kind, sample); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// listOverrides returns the template files in dir by name, and rejects any file that does
// not name a known type and part.
func listOverrides(dir string) (map[string]bool, error) {
	overrides := map[string]bool{}
	if dir == "" {
		return overrides, nil
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read mail template folder %s (%s): %w", dir, EnvTemplatesDir, err)
	}
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || !strings.HasSuffix(name, ".tmpl") {
			continue
		}
		if !isTemplateName(name) {
			return nil, fmt.Errorf("unexpected mail template %s: expected <type>%s, <type>%s or <type>%s with type one of %s",
				filepath.Join(dir, name), suffixSubject, suffixText, suffixHTML, strings.Join(Types, ", "))
		}
		overrides[name] = true
	}
	return overrides, nil
}

func isTemplateName(name string) bool {
	for _, suffix := range []string{suffixSubject, suffixText, suffixHTML} {
		if kind, ok := strings.CutSuffix(name, suffix); ok && slices.Contains(Types, kind) {
			return true
		}
	}
	return false
}

// readTemplate returns the source of the named template and the file name to show in errors:
// the path in dir for an override, or the embedded path for a default.
func readTemplate(dir string, overrides map[string]bool, name string) (source, file string, err error) {
	if overrides[name] {
		file = filepath.Join(dir, name)
		b, err := os.ReadFile(file)
		if err != nil {
			return "", file, fmt.Errorf("read mail template %s: %w", file, err)
		}
		return string(b), file, nil
	}

	file = "templates/" + name
	b, err := fs.ReadFile(defaultTemplates, file)
	if err != nil {
		return "", file, fmt.Errorf("read embedded mail template %s: %w", file, err)
	}
	return string(b), "embedded " + file, nil
}

// Render fills the templates of the given mail type with data and returns a message to
// data.Email. The subject is trimmed of surrounding white space and must be one line.
func (t *Templates) Render(kind string, data Data) (Message, error) {
	parsed, ok := t.byType[kind]
	if !ok {
		return Message{}, fmt.Errorf("unknown mail type %q: expected one of %s", kind, strings.Join(Types, ", "))
	}
	data.Type = kind
	if data.AppName == "" {
		data.AppName = DefaultAppName
	}

	var subject, text, html bytes.Buffer
	if err := parsed.subject.Execute(&subject, data); err != nil {
		return Message{}, fmt.Errorf("render mail template %s: %w", parsed.subject.Name(), err)
	}
	if err := parsed.text.Execute(&text, data); err != nil {
		return Message{}, fmt.Errorf("render mail template %s: %w", parsed.text.Name(), err)
	}
	if err := parsed.html.Execute(&html, data); err != nil {
		return Message{}, fmt.Errorf("render mail template %s: %w", parsed.html.Name(), err)
	}

	m := Message{
		To:      data.Email,
		Subject: strings.TrimSpace(subject.String()),
		Text:    text.String(),
		HTML:    html.String(),
		Type:    kind,
	}
	if m.Subject == "" {
		return Message{}, fmt.Errorf("render mail template %s: the subject is empty", parsed.subject.Name())
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return Message{}, fmt.Errorf("render mail template %s: the subject contains a line break, but a subject must be one line", parsed.subject.Name())
	}
	return m, nil
}
