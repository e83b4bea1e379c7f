package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

func TestSettingsPage(t *testing.T) {
	e := testenv.New(t)
	v, b := owner(t, e, "Acme", "ada@acme.example")
	vendorID := vendorOf(t, e, b)
	page := "/dashboard/settings"
	admin := "ada@acme.example"

	t.Run("Shows", func(t *testing.T) {
		got := text(b.Get(t, page).Must(t, http.StatusOK))
		for _, want := range []string{"Program name", "Allowed origins", "Cookie domain", "Attribution window (days)", "Fallback URL",
			"Time zone", "Save program", "No reward rule", "/webhooks/stripe/" + vendorID, "Signing secret: not set",
			"No event received yet", v.PublicKey, "Rotate secret key", "ada@acme.example", "Invite", "(this browser)"} {
			if !strings.Contains(got, want) {
				t.Errorf("settings lack %q:\n%s", want, got)
			}
		}
	})

	t.Run("Program", func(t *testing.T) {
		form := url.Values{"name": {"Acme Rockets"}, "domain": {"acme.example"}, "allowed_origins": {"https://acme.example\r\nhttps://www.acme.example"},
			"cookie_domain": {"acme.example"}, "attribution_window_days": {"400"}, "fallback_url": {""}, "time_zone": {"Europe/Paris"}}
		refused := act(t, b, page, page+"/program", form).Must(t, http.StatusBadRequest)
		if !strings.Contains(refused.Body, "attribution_window_days must be between 1 and 365") {
			t.Errorf("a window of 400 days:\n%s", refused.Body)
		}
		form.Set("attribution_window_days", "60")
		act(t, b, page, page+"/program", form).Must(t, http.StatusSeeOther)
		var got struct {
			Name                  string   `json:"name"`
			AllowedOrigins        []string `json:"allowed_origins"`
			AttributionWindowDays int      `json:"attribution_window_days"`
			TimeZone              string   `json:"time_zone"`
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)).JSON(t, &got)
		if got.Name != "Acme Rockets" || len(got.AllowedOrigins) != 2 || got.AttributionWindowDays != 60 || got.TimeZone != "Europe/Paris" {
			t.Errorf("the vendor after saving: %+v", got)
		}
		mustAudit(t, e, v, "vendor.update", admin, vendorID)
		// Times are shown in the vendor's zone from now on.
		if body := text(b.Get(t, page).Must(t, http.StatusOK)); !strings.Contains(body, "CET") {
			t.Errorf("times are not in the vendor's zone:\n%s", body)
		}
	})

	t.Run("RewardRule", func(t *testing.T) {
		act(t, b, page, page+"/reward-rule", url.Values{"type": {"percent"}, "percent": {"120"}}).Must(t, http.StatusBadRequest)
		act(t, b, page, page+"/reward-rule", url.Values{"type": {"percent"}, "percent": {"12.5"}, "duration_months": {"12"}, "hold_days": {"14"}}).
			Must(t, http.StatusSeeOther)
		var got struct {
			RewardRule struct {
				Type           string `json:"type"`
				Percent        int    `json:"percent"`
				DurationMonths *int   `json:"duration_months"`
				HoldDays       int    `json:"hold_days"`
			} `json:"reward_rule"`
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)).JSON(t, &got)
		if r := got.RewardRule; r.Type != "percent" || r.Percent != 1250 || r.DurationMonths == nil || *r.DurationMonths != 12 || r.HoldDays != 14 {
			t.Errorf("the reward rule: %+v", r)
		}
		if body := text(b.Get(t, page).Must(t, http.StatusOK)); !strings.Contains(body, "12.5 % of each purchase, for 12 months after the first purchase; approved after 14 days") {
			t.Errorf("the rule as shown:\n%s", body)
		}
		act(t, b, page, page+"/reward-rule", url.Values{"type": {"flat"}, "amount": {"5"}, "currency": {"eur"}, "hold_days": {"0"}}).
			Must(t, http.StatusSeeOther)
		if body := text(b.Get(t, page).Must(t, http.StatusOK)); !strings.Contains(body, "EUR 5.00 per purchase, every purchase") {
			t.Errorf("the flat rule as shown:\n%s", body)
		}
	})

	t.Run("StripeSecretNeverShown", func(t *testing.T) {
		act(t, b, page, page+"/stripe", url.Values{"stripe_webhook_secret": {"not-a-secret"}}).Must(t, http.StatusBadRequest)
		act(t, b, page, page+"/stripe", url.Values{"stripe_webhook_secret": {stripeSecret}}).Must(t, http.StatusSeeOther)
		after := b.Get(t, page).Must(t, http.StatusOK)
		if strings.Contains(after.Body, stripeSecret) || !strings.Contains(text(after), "Signing secret: set") {
			t.Errorf("the settings after setting the secret:\n%s", text(after))
		}
		a := mustAudit(t, e, v, "vendor.update", admin, vendorID)
		if strings.Contains(string(a.After), stripeSecret) || !strings.Contains(string(a.After), `"stripe_webhook_secret":"set"`) {
			t.Errorf("the audit entry: %s", a.After)
		}
		if audit := b.Get(t, "/dashboard/audit").Must(t, http.StatusOK); strings.Contains(audit.Body, stripeSecret) {
			t.Error("the audit page shows the signing secret")
		}
		// The events Stripe sent show with their outcome.
		creditedCustomer(t, e, v, e.NewPartner(t, v, "Grace", "grace@partners.example").ID, "tester@customers.example")
		testModeReward(t, e, v, vendorID, "tester@customers.example")
		if got := text(b.Get(t, page).Must(t, http.StatusOK)); !strings.Contains(got, "checkout.session.completed test") || !strings.Contains(got, "purchase") {
			t.Errorf("the latest Stripe events:\n%s", got)
		}
	})

	t.Run("RotateSecretKey", func(t *testing.T) {
		p := act(t, b, page, page+"/keys/rotate", nil).Must(t, http.StatusOK)
		m := regexp.MustCompile(`id="new-secret-key">(sk_[A-Za-z0-9]+)<`).FindStringSubmatch(p.Body)
		if m == nil {
			t.Fatalf("the new key is not shown:\n%s", p.Body)
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", m[1], nil))
		if r := e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("the old key still works: %d", r.StatusCode)
		}
		if again := b.Get(t, page).Must(t, http.StatusOK); strings.Contains(again.Body, m[1]) {
			t.Error("the new key is shown twice")
		}
		v.SecretKey = m[1]
		a := mustAudit(t, e, v, "vendor.rotate_secret_key", admin, vendorID)
		if strings.Contains(string(a.Before)+string(a.After), "sk_") {
			t.Errorf("the rotation's audit shows a key: %s %s", a.Before, a.After)
		}
	})

	t.Run("Invite", func(t *testing.T) {
		// A user of another program keeps their email; one of this program is invited again.
		userLink(t, e, e.NewVendor(t, "Other").ID, "olga@other.example", "admin")
		act(t, b, page, page+"/team", url.Values{"email": {"olga@other.example"}, "role": {"viewer"}}).Must(t, http.StatusConflict)
		act(t, b, page, page+"/team", url.Values{"email": {"eve@acme.example"}, "role": {"owner"}}).Must(t, http.StatusBadRequest)
		p := act(t, b, page, page+"/team", url.Values{"email": {"Vic@Acme.example"}, "role": {"viewer"}}).Must(t, http.StatusOK)
		m := regexp.MustCompile(`id="invite-url">[^<]*(/setup/[A-Za-z0-9]+)<`).FindStringSubmatch(p.Body)
		if m == nil {
			t.Fatalf("the invite link is not shown:\n%s", p.Body)
		}
		a := mustAudit(t, e, v, "user.invite", admin, "")
		if !strings.Contains(string(a.After), "vic@acme.example") || strings.Contains(string(a.After), "password") {
			t.Errorf("the invite's audit: %s", a.After)
		}
		vic := e.NewBrowser(t)
		vic.Submit(t, m[1], url.Values{"password": {goodPassword}}).Must(t, http.StatusSeeOther)
		vp := vic.Get(t, page).Must(t, http.StatusOK)
		noChangeButtons(t, vp)
		if got := text(vp); !strings.Contains(got, "vic@acme.example (viewer)") || strings.Contains(got, "Rotate secret key") {
			t.Errorf("the invited viewer's settings:\n%s", got)
		}
		vic.Post(t, page+"/keys/rotate", url.Values{"csrf_token": {vp.CSRF(t)}}).Must(t, http.StatusForbidden)
		vic.Post(t, page+"/team", url.Values{"csrf_token": {vp.CSRF(t)}, "email": {"x@acme.example"}}).Must(t, http.StatusForbidden)
		if got := text(b.Get(t, page).Must(t, http.StatusOK)); !strings.Contains(got, "vic@acme.example viewer") {
			t.Errorf("the team after the invite:\n%s", got)
		}
	})

	t.Run("Sessions", func(t *testing.T) {
		other := e.NewBrowser(t)
		signIn(t, other, admin, goodPassword).Must(t, http.StatusSeeOther)
		p := b.Get(t, page).Must(t, http.StatusOK)
		ids := regexp.MustCompile(`/dashboard/settings/sessions/(ses_[a-z0-9]+)/revoke`).FindAllStringSubmatch(p.Body, -1)
		if len(ids) != 2 {
			t.Fatalf("%d sessions listed, want 2", len(ids))
		}
		// The session list is newest first; revoke the other browser's.
		var theirs string
		for _, id := range ids {
			if !strings.Contains(p.Body, id[1]+`/revoke`) {
				continue
			}
			i := strings.Index(p.Body, id[1])
			if !strings.Contains(p.Body[max(0, i-600):i], "(this browser)") {
				theirs = id[1]
			}
		}
		if theirs == "" {
			t.Fatal("cannot tell the other browser's session")
		}
		act(t, b, page, page+"/sessions/"+theirs+"/revoke", nil).Must(t, http.StatusSeeOther)
		if l := other.Get(t, "/dashboard").Must(t, http.StatusSeeOther).Location(); l != "/login" {
			t.Errorf("the revoked browser goes to %s", l)
		}
		b.Get(t, "/dashboard").Must(t, http.StatusOK)
		mustAudit(t, e, v, "session.revoke", admin, theirs)
		act(t, b, page, page+"/sessions/"+theirs+"/revoke", nil).Must(t, http.StatusNotFound)
		// Revoking this browser's own session signs it out.
		mine := regexp.MustCompile(`/dashboard/settings/sessions/(ses_[a-z0-9]+)/revoke`).FindStringSubmatch(b.Get(t, page).Body)[1]
		if l := act(t, b, page, page+"/sessions/"+mine+"/revoke", nil).Must(t, http.StatusSeeOther).Location(); l != "/login" {
			t.Errorf("revoking this browser's session goes to %s", l)
		}
	})
	t.Run("CSRF", func(t *testing.T) {
		fresh := e.NewBrowser(t)
		signIn(t, fresh, admin, goodPassword).Must(t, http.StatusSeeOther)
		fresh.Post(t, page+"/keys/rotate", url.Values{}).Must(t, http.StatusForbidden)
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)) // the key still works
	})
}
