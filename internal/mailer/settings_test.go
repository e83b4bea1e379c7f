package mailer_test

import (
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/mailer"
)

func TestParseSettings(t *testing.T) {
	const from = "tally@acme.example"
	ok := []struct {
		name, url string
		want      mailer.Settings
	}{
		{"Off", "", mailer.Settings{}},
		{"STARTTLSWhenOffered", "smtp://user:p%40ss@mail.acme.example:587",
			mailer.Settings{Host: "mail.acme.example", Port: 587, Username: "user", Password: "p@ss", From: from}},
		{"DefaultPort587", "smtp://mail.acme.example", mailer.Settings{Host: "mail.acme.example", Port: 587, From: from}},
		{"STARTTLSRequired", "smtp://u:p@mail.acme.example:2525?starttls=required",
			mailer.Settings{Host: "mail.acme.example", Port: 2525, RequireSTARTTLS: true, Username: "u", Password: "p", From: from}},
		{"ImplicitTLS", "smtps://u:p@mail.acme.example", mailer.Settings{Host: "mail.acme.example", Port: 465, ImplicitTLS: true,
			Username: "u", Password: "p", From: from}},
		{"LocalSink", "smtp://127.0.0.1:1025", mailer.Settings{Host: "127.0.0.1", Port: 1025, From: from}},
		{"IPv6", "smtp://[::1]:1025/", mailer.Settings{Host: "::1", Port: 1025, From: from}},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			got, err := mailer.ParseSettings(c.url, from)
			if c.url == "" {
				c.want.From = ""
			}
			if err != nil || got != c.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, c.want)
			}
			if got.Enabled() != (c.url != "") {
				t.Fatalf("Enabled() = %v", got.Enabled())
			}
			if strings.Contains(got.String(), "p@ss") {
				t.Fatalf("String() shows the password: %s", got.String())
			}
		})
	}
	bad := []struct{ name, url, from, want string }{
		{"Scheme", "http://user:secret@mail.acme.example", from, "must start with smtp:// or smtps://"},
		{"NoScheme", "mail.acme.example:587", from, "must start with smtp:// or smtps://"},
		{"NoHost", "smtp://:587", from, "host"},
		{"Path", "smtp://mail.acme.example/inbox", from, "host"},
		{"BadPort", "smtp://mail.acme.example:99999", from, "bad port"},
		{"STARTTLSOther", "smtp://mail.acme.example?starttls=never", from, "starttls"},
		{"STARTTLSOnSMTPS", "smtps://mail.acme.example?starttls=required", from, "unknown option"},
		{"UnknownOption", "smtp://mail.acme.example?auth=plain", from, "unknown option"},
		{"NoFrom", "smtp://mail.acme.example", "", "TALLY_MAIL_FROM is required"},
		{"FromWithName", "smtp://mail.acme.example", "Acme <tally@acme.example>", "plain address"},
		{"FromNotAnAddress", "smtp://mail.acme.example", "tally", "plain address"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := mailer.ParseSettings(c.url, c.from)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one about %q", err, c.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}
