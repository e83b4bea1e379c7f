package attribution_test

import (
	"strings"
	"testing"

	"github.com/tally-dev/tally/attribution"
)

func TestValidateHTTPURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"https://shop.example", true},
		{"https://shop.example/", true},
		{"http://shop.example/p?a=1#f", true},
		{"https://shop.example:8443/p", true},
		{"HTTPS://SHOP.EXAMPLE/P", true},
		{"http://localhost:3000/x", true},
		{"http://[2001:db8::1]/x", true},
		{"javascript:alert(1)", false},
		{"JavaScript:alert(document.cookie)", false},
		{"data:text/html,<script>alert(1)</script>", false},
		{"vbscript:msgbox", false},
		{"ftp://shop.example/file", false},
		{"file:///etc/passwd", false},
		{"mailto:a@b.example", false},
		{"/relative/path", false},
		{"relative", false},
		{"//shop.example/p", false},
		{"https://", false},
		{"https:///p", false},
		{"https://:80/p", false},
		{"http://user:pw@shop.example/", false},
		{"http://user@shop.example/", false},
		{"https://shop.example/a b", false},
		{"https://shop.example/\n", false},
		{"https://shop.example/\t", false},
		{"", false},
		{"https://shop.example/" + strings.Repeat("a", 2048), false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			err := attribution.ValidateHTTPURL("destination_url", tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidateHTTPURL(%q) = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err != nil {
				if attribution.ErrorCode(err) != attribution.EINVALID {
					t.Errorf("code = %s", attribution.ErrorCode(err))
				}
				if !strings.Contains(attribution.ErrorMessage(err), "destination_url") {
					t.Errorf("message %q does not name the field", attribution.ErrorMessage(err))
				}
			}
		})
	}
}

func TestValidLinkKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"abc", true},
		{"Spring-Sale_2026", true},
		{"0ab", true},
		{strings.Repeat("a", 64), true},
		{"ab", false},
		{"", false},
		{strings.Repeat("a", 65), false},
		{"-abc", false},
		{"_abc", false},
		{"a/b/c", false},
		{"a b c", false},
		{"abc?x", false},
		{"abc.def", false},
		{"ключ-ключ", false},
		{"abc%20", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := attribution.ValidLinkKey(tc.in); got != tc.ok {
				t.Fatalf("ValidLinkKey(%q) = %v, want %v", tc.in, got, tc.ok)
			}
		})
	}
	for range 20 {
		if k := attribution.NewLinkKey(); !attribution.ValidLinkKey(k) || len(k) != 8 {
			t.Fatalf("NewLinkKey() = %q, not a valid 8-character key", k)
		}
	}
}

func TestValidEmail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"ada@example.com", true},
		{"ada+tag@mail.example.co.uk", true},
		{"", false},
		{"ada", false},
		{"ada@", false},
		{"@example.com", false},
		{"Ada <ada@example.com>", false},
		{"ada@example.com, bob@example.com", false},
		{strings.Repeat("a", 250) + "@example.com", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := attribution.ValidEmail(tc.in); got != tc.ok {
				t.Fatalf("ValidEmail(%q) = %v, want %v", tc.in, got, tc.ok)
			}
		})
	}
	if got := attribution.NormalizeEmail("  Ada@Example.COM "); got != "ada@example.com" {
		t.Errorf("NormalizeEmail = %q", got)
	}
}

func TestValidHostname(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"example.com", true},
		{"go.shop.example.co.uk", true},
		{"localhost", true},
		{"a-b.example", true},
		{"example", false},
		{"", false},
		{"-a.example", false},
		{"a-.example", false},
		{"a..example", false},
		{"exa mple.com", false},
		{"EXAMPLE.COM", false}, // callers lower-case first
		{"https://example.com", false},
		{"example.com/path", false},
		{"example.com:8080", false},
		{strings.Repeat("a", 64) + ".example", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := attribution.ValidHostname(tc.in); got != tc.ok {
				t.Fatalf("ValidHostname(%q) = %v, want %v", tc.in, got, tc.ok)
			}
		})
	}
}

func TestNormalizeOrigin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"https://www.example.com", "https://www.example.com", true},
		{"HTTPS://WWW.Example.com/", "https://www.example.com", true},
		{" http://localhost:3000 ", "http://localhost:3000", true},
		{"https://example.com/path", "", false},
		{"https://example.com?q=1", "", false},
		{"https://example.com#f", "", false},
		{"example.com", "", false},
		{"ftp://example.com", "", false},
		{"https://user@example.com", "", false},
		{"*", "", false},
		{"", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := attribution.NormalizeOrigin(tc.in)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("NormalizeOrigin(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestVendor_AllowsOrigin(t *testing.T) {
	t.Parallel()
	open := &attribution.Vendor{}
	if !open.AllowsOrigin("https://anything.example") {
		t.Error("an empty list must allow any origin")
	}
	v := &attribution.Vendor{AllowedOrigins: []string{"https://shop.example"}}
	for origin, want := range map[string]bool{
		"https://shop.example":      true,
		"HTTPS://SHOP.EXAMPLE":      true,
		"http://shop.example":       false,
		"https://evil.example":      false,
		"https://shop.example.evil": false,
		"null":                      false,
	} {
		if got := v.AllowsOrigin(origin); got != want {
			t.Errorf("AllowsOrigin(%q) = %v, want %v", origin, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestVendorUpdate_Apply(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		upd   attribution.VendorUpdate
		ok    bool
		check func(*attribution.Vendor) bool
	}{
		{"WindowMin", attribution.VendorUpdate{AttributionWindowDays: ptr(1)}, true, func(v *attribution.Vendor) bool { return v.AttributionWindowDays == 1 }},
		{"WindowMax", attribution.VendorUpdate{AttributionWindowDays: ptr(365)}, true, func(v *attribution.Vendor) bool { return v.AttributionWindowDays == 365 }},
		{"WindowZero", attribution.VendorUpdate{AttributionWindowDays: ptr(0)}, false, nil},
		{"WindowTooLong", attribution.VendorUpdate{AttributionWindowDays: ptr(366)}, false, nil},
		{"WindowNegative", attribution.VendorUpdate{AttributionWindowDays: ptr(-5)}, false, nil},
		{"NameEmpty", attribution.VendorUpdate{Name: ptr("  ")}, false, nil},
		{"NameTooLong", attribution.VendorUpdate{Name: ptr(strings.Repeat("é", 201))}, false, nil},
		{"NameTrimmed", attribution.VendorUpdate{Name: ptr("  Acme ")}, true, func(v *attribution.Vendor) bool { return v.Name == "Acme" }},
		{"CookieDomainDot", attribution.VendorUpdate{CookieDomain: ptr(".Shop.Example")}, true, func(v *attribution.Vendor) bool { return v.CookieDomain == "shop.example" }},
		{"CookieDomainCleared", attribution.VendorUpdate{CookieDomain: ptr("")}, true, func(v *attribution.Vendor) bool { return v.CookieDomain == "" }},
		{"CookieDomainURL", attribution.VendorUpdate{CookieDomain: ptr("https://shop.example")}, false, nil},
		{"DomainBad", attribution.VendorUpdate{Domain: ptr("not a domain")}, false, nil},
		{"OriginsNormalized", attribution.VendorUpdate{AllowedOrigins: &[]string{"HTTPS://Shop.Example/"}}, true, func(v *attribution.Vendor) bool {
			return len(v.AllowedOrigins) == 1 && v.AllowedOrigins[0] == "https://shop.example"
		}},
		{"OriginsBad", attribution.VendorUpdate{AllowedOrigins: &[]string{"https://shop.example/path"}}, false, nil},
		{"StripeSecret", attribution.VendorUpdate{StripeWebhookSecret: ptr("whsec_abc")}, true, func(v *attribution.Vendor) bool { return v.StripeWebhookSecret == "whsec_abc" }},
		{"StripeSecretBad", attribution.VendorUpdate{StripeWebhookSecret: ptr("sk_live_abc")}, false, nil},
		{"FallbackJavascript", attribution.VendorUpdate{FallbackURL: ptr("javascript:alert(1)")}, false, nil},
		{"FallbackCleared", attribution.VendorUpdate{FallbackURL: ptr("")}, true, func(v *attribution.Vendor) bool { return v.FallbackURL == "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := &attribution.Vendor{Name: "Before", AttributionWindowDays: 90, CookieDomain: "old.example", FallbackURL: "https://old.example"}
			before := *v
			err := tc.upd.Apply(v)
			if (err == nil) != tc.ok {
				t.Fatalf("Apply = %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if attribution.ErrorCode(err) != attribution.EINVALID {
					t.Errorf("code = %s", attribution.ErrorCode(err))
				}
				if v.Name != before.Name || v.AttributionWindowDays != before.AttributionWindowDays || v.CookieDomain != before.CookieDomain {
					t.Errorf("a refused update changed the vendor: %+v", v)
				}
				return
			}
			if !tc.check(v) {
				t.Errorf("after Apply: %+v", v)
			}
		})
	}
}

func TestLinkCreate_Validate(t *testing.T) {
	t.Parallel()
	base := func() attribution.LinkCreate {
		return attribution.LinkCreate{PartnerID: "par_x", DestinationURL: " https://shop.example/ ", Key: " promo-1 "}
	}
	c := base()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.DestinationURL != "https://shop.example/" || c.Key != "promo-1" {
		t.Errorf("not normalized: %+v", c)
	}
	for name, mutate := range map[string]func(*attribution.LinkCreate){
		"NoPartner":   func(c *attribution.LinkCreate) { c.PartnerID = "" },
		"Javascript":  func(c *attribution.LinkCreate) { c.DestinationURL = "javascript:alert(1)" },
		"BadKey":      func(c *attribution.LinkCreate) { c.Key = "a/b" },
		"LongUTM":     func(c *attribution.LinkCreate) { c.UTM.Campaign = strings.Repeat("x", 201) },
		"LongUTMTerm": func(c *attribution.LinkCreate) { c.UTM.Term = strings.Repeat("x", 201) },
	} {
		t.Run(name, func(t *testing.T) {
			c := base()
			mutate(&c)
			if err := c.Validate(); attribution.ErrorCode(err) != attribution.EINVALID {
				t.Fatalf("Validate = %v, want EINVALID", err)
			}
		})
	}
}

func TestPartnerCreate_Validate(t *testing.T) {
	t.Parallel()
	c := attribution.PartnerCreate{Name: " Ada ", Email: " Ada@Example.com "}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Name != "Ada" || c.Email != "ada@example.com" || c.Status != attribution.PartnerActive {
		t.Errorf("not normalized: %+v", c)
	}
	for name, c := range map[string]attribution.PartnerCreate{
		"NoName":      {Email: "a@b.example"},
		"NoEmail":     {Name: "Ada"},
		"BadEmail":    {Name: "Ada", Email: "ada"},
		"BadStatus":   {Name: "Ada", Email: "a@b.example", Status: "banned"},
		"DisplayName": {Name: "Ada", Email: "Ada <a@b.example>"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := c.Validate(); attribution.ErrorCode(err) != attribution.EINVALID {
				t.Fatalf("Validate = %v, want EINVALID", err)
			}
		})
	}
}

func TestErrorCode(t *testing.T) {
	t.Parallel()
	if attribution.ErrorCode(nil) != "" || attribution.ErrorMessage(nil) != "" {
		t.Error("nil error has a code or message")
	}
	err := attribution.Errorf(attribution.ECONFLICT, "key %q taken", "x")
	if attribution.ErrorCode(err) != attribution.ECONFLICT || attribution.ErrorMessage(err) != `key "x" taken` {
		t.Errorf("code/message = %s/%s", attribution.ErrorCode(err), attribution.ErrorMessage(err))
	}
	plain := errorString("db exploded: password=hunter2")
	if attribution.ErrorCode(plain) != attribution.EINTERNAL || strings.Contains(attribution.ErrorMessage(plain), "hunter2") {
		t.Errorf("internal error leaks: %s", attribution.ErrorMessage(plain))
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestIDs(t *testing.T) {
	t.Parallel()
	id := attribution.NewID(attribution.PrefixClick, attribution.SystemClock())
	if !attribution.ValidID(attribution.PrefixClick, id) {
		t.Fatalf("ValidID(%q) = false", id)
	}
	for _, bad := range []string{"", "clk_", id[:len(id)-1], attribution.PrefixLink + id[4:], id + "0", "clk_" + strings.Repeat("!", 26)} {
		if attribution.ValidID(attribution.PrefixClick, bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
	for _, k := range []string{attribution.NewSecretKey(), attribution.NewPartnerToken(), attribution.NewPublicKey()} {
		if len(k) < 27 {
			t.Errorf("key %q is too short", k)
		}
	}
	sk := attribution.NewSecretKey()
	if !strings.HasPrefix(sk, "sk_") || len(sk) < 35 {
		t.Errorf("secret key %q", sk)
	}
	h := attribution.HashKey(sk)
	if !attribution.KeyMatches(sk, h) || attribution.KeyMatches(sk+"x", h) || strings.Contains(h, sk[3:]) {
		t.Error("HashKey/KeyMatches")
	}
}
