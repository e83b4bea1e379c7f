package attribution_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
)

func TestValidatePassword(t *testing.T) {
	for _, tt := range []struct {
		name, password, email string
		ok                    bool
	}{
		{"OK", "correct horse", "ada@example.com", true},
		{"TenRunes", "éééééééééé", "", true},
		{"NineChars", "123456789", "", false},
		{"Empty", "", "", false},
		{"TooLong", strings.Repeat("x", attribution.MaxPasswordLen+1), "", false},
		{"Longest", strings.Repeat("x", attribution.MaxPasswordLen), "", true},
		{"IsTheEmail", "Ada@Example.com", "ada@example.com", false},
		{"NUL", "0123456789\x00", "", false},
		{"InvalidUTF8", "0123456789\xff", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := attribution.ValidatePassword(tt.password, tt.email)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidatePassword(%q) = %v, want ok=%v", tt.password, err, tt.ok)
			}
			if err != nil && attribution.ErrorCode(err) != attribution.EINVALID {
				t.Fatalf("code %s, want invalid", attribution.ErrorCode(err))
			}
		})
	}
}

func TestValidateRole(t *testing.T) {
	for in, want := range map[string]string{"": "admin", "admin": "admin", " Viewer ": "viewer"} {
		r := in
		if err := attribution.ValidateRole(&r); err != nil || r != want {
			t.Errorf("ValidateRole(%q) = %q, %v; want %q", in, r, err, want)
		}
	}
	r := "owner"
	if err := attribution.ValidateRole(&r); attribution.ErrorCode(err) != attribution.EINVALID {
		t.Errorf("ValidateRole(owner) = %v, want invalid", err)
	}
	if !(&attribution.User{Role: attribution.RoleAdmin}).MayChange() || (&attribution.User{Role: attribution.RoleViewer}).MayChange() {
		t.Error("only admins may change")
	}
}

func TestSessionIdleExpiry(t *testing.T) {
	seen := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	s := &attribution.Session{LastSeenAt: seen}
	for _, tt := range []struct {
		at             time.Time
		expired, touch bool
	}{
		{seen, false, false},
		{seen.Add(attribution.SessionTouchEvery - time.Second), false, false},
		{seen.Add(attribution.SessionTouchEvery), false, true},
		{seen.Add(14*24*time.Hour - time.Second), false, true},
		{seen.Add(14 * 24 * time.Hour), true, true},
	} {
		if got := s.Expired(tt.at); got != tt.expired {
			t.Errorf("Expired at +%v = %v, want %v", tt.at.Sub(seen), got, tt.expired)
		}
		if got := s.NeedsTouch(tt.at); got != tt.touch {
			t.Errorf("NeedsTouch at +%v = %v, want %v", tt.at.Sub(seen), got, tt.touch)
		}
	}
}

func TestSignInThrottled(t *testing.T) {
	for n, want := range map[int]bool{0: false, 4: false, 5: true, 6: true} {
		if got := attribution.SignInThrottled(n); got != want {
			t.Errorf("SignInThrottled(%d) = %v, want %v", n, got, want)
		}
	}
	a, b := attribution.ThrottleKeys(" Ada@Example.com", "192.0.2.1"), attribution.ThrottleKeys("ada@example.com", "192.0.2.1")
	if a[0] != b[0] || a[1] != b[1] || a[0] == a[1] {
		t.Errorf("throttle keys %q and %q: want the same account key for one email and distinct account and IP keys", a, b)
	}
}

func TestAccountLinkUsable(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	l, token := attribution.NewAccountLink(attribution.LinkSetup, "ven_x", "usr_x", now)
	if len(token) < 40 || l.TokenHash != attribution.HashKey(token) || strings.Contains(l.TokenHash, token) {
		t.Fatalf("link %+v, token %q: want a long random token stored only as its hash", l, token)
	}
	if err := l.Usable(now.Add(72*time.Hour - time.Second)); err != nil {
		t.Errorf("a setup link is unusable before 72 hours: %v", err)
	}
	if err := l.Usable(now.Add(72 * time.Hour)); attribution.ErrorCode(err) != attribution.ENOTFOUND {
		t.Errorf("a setup link after 72 hours: %v, want not_found", err)
	}
	used := now.Add(time.Minute)
	l.UsedAt = &used
	if err := l.Usable(now.Add(2 * time.Minute)); attribution.ErrorCode(err) != attribution.ENOTFOUND {
		t.Errorf("a used link: %v, want not_found", err)
	}
	for kind, want := range map[string]time.Duration{
		attribution.LinkFirstRun: 72 * time.Hour, attribution.LinkSetup: 72 * time.Hour,
		attribution.LinkInvite: 7 * 24 * time.Hour, attribution.LinkReset: time.Hour,
	} {
		if got := attribution.LinkLifetime(kind); got != want {
			t.Errorf("LinkLifetime(%s) = %v, want %v", kind, got, want)
		}
	}
}

func TestFirstRunValidate(t *testing.T) {
	ok := attribution.FirstRun{ProgramName: " Acme ", Domain: "Acme.Example", Email: " Ada@Example.com ", Password: "correct horse"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if ok.ProgramName != "Acme" || ok.Domain != "acme.example" || ok.Email != "ada@example.com" {
		t.Errorf("normalized %+v", ok)
	}
	for name, f := range map[string]attribution.FirstRun{
		"NoName":      {Domain: "acme.example", Email: "a@b.co", Password: "correct horse"},
		"BadDomain":   {ProgramName: "Acme", Domain: "not a domain", Email: "a@b.co", Password: "correct horse"},
		"BadEmail":    {ProgramName: "Acme", Email: "nobody", Password: "correct horse"},
		"ShortSecret": {ProgramName: "Acme", Email: "a@b.co", Password: "short"},
	} {
		if err := f.Validate(); attribution.ErrorCode(err) != attribution.EINVALID {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

func TestSessionUserAgent(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes
	if got := attribution.SessionUserAgent(long); len(got) > 200 || !strings.HasPrefix(long, got) {
		t.Errorf("SessionUserAgent cut %d bytes badly", len(got))
	}
	if got := attribution.SessionUserAgent("a\x00b\xff"); got != "ab" {
		t.Errorf("SessionUserAgent kept bad text: %q", got)
	}
}
