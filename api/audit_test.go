package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

// lastAudit returns the newest audit entry about one object, failing the
// test when there is none.
func lastAudit(t *testing.T, e *testenv.Env, v testenv.Vendor, objectType, objectID string) map[string]any {
	t.Helper()
	entries := auditEntries(t, e, v, "?object_type="+objectType+"&object_id="+objectID)
	if len(entries) == 0 {
		t.Fatalf("no audit entry for %s %s", objectType, objectID)
	}
	return entries[0]
}

// checkAudit checks an entry's actor, action, object and reason.
func checkAudit(t *testing.T, en map[string]any, actorPrefix, action, objectID, reason string) {
	t.Helper()
	if a, _ := en["actor"].(string); !strings.HasPrefix(a, actorPrefix) || len(a) > len(actorPrefix)+8 {
		t.Errorf("actor = %v, want %s…", en["actor"], actorPrefix)
	}
	if en["action"] != action || en["object_id"] != objectID || en["reason"] != reason {
		t.Errorf("entry = %v, want action %s on %s, reason %q", en, action, objectID, reason)
	}
}

// field reads before.name or after.name of an entry.
func field(en map[string]any, side, name string) any {
	m, _ := en[side].(map[string]any)
	return m[name]
}

// mustNotLeak fails when secret appears in the audit log's answer or in the logs.
func mustNotLeak(t *testing.T, e *testenv.Env, v testenv.Vendor, secrets ...string) {
	t.Helper()
	answer := string(e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit?limit=100", v.SecretKey, nil)).Body)
	logs := e.LogText()
	for _, s := range secrets {
		if strings.Contains(answer, s) {
			t.Errorf("the audit log shows a secret: %s", answer)
		}
		if strings.Contains(logs, s) {
			t.Errorf("the logs show a secret")
		}
	}
}

func TestAudit_VendorSettings(t *testing.T) {
	t.Parallel()
	const webhookSecret = "whsec_audittest0123456789"
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	const actor = "secret_key:sk_"

	e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"name": "Acme Inc", "domain": "acme.example", "allowed_origins": []string{"https://www.acme.example"},
		"cookie_domain": "acme.example", "attribution_window_days": 30, "fallback_url": "https://acme.example/",
		"reward_rule":           map[string]any{"type": "percent", "percent": 2000, "hold_days": 30},
		"stripe_webhook_secret": webhookSecret, "reason": "onboarding",
	}))
	en := lastAudit(t, e, v, "vendor", v.ID)
	checkAudit(t, en, actor, "vendor.update", v.ID, "onboarding")
	for name, want := range map[string][2]any{
		"name":                    {"Acme", "Acme Inc"},
		"domain":                  {"", "acme.example"},
		"cookie_domain":           {"", "acme.example"},
		"attribution_window_days": {90.0, 30.0},
		"fallback_url":            {"", "https://acme.example/"},
		"stripe_webhook_secret":   {"unset", "set"},
	} {
		if b, a := field(en, "before", name), field(en, "after", name); b != want[0] || a != want[1] {
			t.Errorf("%s: before %v after %v, want %v", name, b, a, want)
		}
	}
	if o, _ := field(en, "after", "allowed_origins").([]any); len(o) != 1 || o[0] != "https://www.acme.example" {
		t.Errorf("allowed_origins after = %v", field(en, "after", "allowed_origins"))
	}
	if field(en, "before", "reward_rule") != nil || field(en, "after", "reward_rule").(map[string]any)["percent"] != 2000.0 {
		t.Errorf("reward_rule: %v → %v", field(en, "before", "reward_rule"), field(en, "after", "reward_rule"))
	}

	// A new secret is a change, shown only as set → set.
	e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"stripe_webhook_secret": webhookSecret + "2"}))
	en = lastAudit(t, e, v, "vendor", v.ID)
	checkAudit(t, en, actor, "vendor.update", v.ID, "")
	if field(en, "before", "stripe_webhook_secret") != "set" || field(en, "after", "stripe_webhook_secret") != "set" {
		t.Errorf("rotated secret shown as %v → %v", field(en, "before", "stripe_webhook_secret"), field(en, "after", "stripe_webhook_secret"))
	}
	// Removing it.
	e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"stripe_webhook_secret": ""}))
	if en = lastAudit(t, e, v, "vendor", v.ID); field(en, "after", "stripe_webhook_secret") != "unset" {
		t.Errorf("removed secret shown as %v", field(en, "after", "stripe_webhook_secret"))
	}

	// Nothing changed, or a refused change: no entry.
	n := len(auditEntries(t, e, v, ""))
	e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"name": "Acme Inc"}))
	e.Must(t, http.StatusBadRequest, tick(e).Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"name": "Acme 2", "attribution_window_days": 0}))
	e.Must(t, http.StatusBadRequest, tick(e).Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"name": "Acme 2", "reason": strings.Repeat("r", 1001)}))
	if got := len(auditEntries(t, e, v, "")); got != n {
		t.Errorf("%d entries after no change and refused changes, want %d", got, n)
	}
	mustNotLeak(t, e, v, webhookSecret, v.SecretKey, v.SecretKey[3:])
}

func TestAudit_Partners(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	const actor = "secret_key:sk_"
	p := e.NewPartner(t, v, "Ada", "ada@example.com")

	t.Run("Create", func(t *testing.T) {
		en := lastAudit(t, e, v, "partner", p.ID)
		checkAudit(t, en, actor, "partner.create", p.ID, "")
		if en["before"] != nil || field(en, "after", "email") != "ada@example.com" || field(en, "after", "status") != "active" {
			t.Errorf("entry = %v", en)
		}
	})
	t.Run("Status", func(t *testing.T) {
		e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/partners/"+p.ID, v.SecretKey, map[string]any{"status": "disabled", "reason": "fraud review"}))
		en := lastAudit(t, e, v, "partner", p.ID)
		checkAudit(t, en, actor, "partner.update", p.ID, "fraud review")
		if field(en, "before", "status") != "active" || field(en, "after", "status") != "disabled" {
			t.Errorf("entry = %v", en)
		}
	})
	t.Run("RewardOverride", func(t *testing.T) {
		e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/partners/"+p.ID, v.SecretKey, map[string]any{
			"reward_rule": map[string]any{"type": "flat", "amount": 500, "currency": "usd"},
		}))
		en := lastAudit(t, e, v, "partner", p.ID)
		checkAudit(t, en, actor, "partner.update", p.ID, "")
		rule, _ := field(en, "after", "reward_rule").(map[string]any)
		if field(en, "before", "reward_rule") != nil || rule["amount"] != 500.0 {
			t.Errorf("entry = %v", en)
		}
	})
	t.Run("NameEmail", func(t *testing.T) {
		e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/partners/"+p.ID, v.SecretKey, map[string]any{"name": "Ada L.", "email": "ada@new.example"}))
		en := lastAudit(t, e, v, "partner", p.ID)
		checkAudit(t, en, actor, "partner.update", p.ID, "")
		if field(en, "before", "name") != "Ada" || field(en, "after", "name") != "Ada L." ||
			field(en, "before", "email") != "ada@example.com" || field(en, "after", "email") != "ada@new.example" {
			t.Errorf("entry = %v", en)
		}
	})
	t.Run("NoChange", func(t *testing.T) {
		n := len(auditEntries(t, e, v, ""))
		e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/partners/"+p.ID, v.SecretKey, map[string]any{"name": "Ada L."}))
		e.Must(t, http.StatusBadRequest, tick(e).Do(t, "PATCH", "/v1/partners/"+p.ID, v.SecretKey, map[string]any{"name": "X", "status": "gone"}))
		if got := len(auditEntries(t, e, v, "")); got != n {
			t.Errorf("%d entries, want %d", got, n)
		}
	})
	t.Run("PromotionCode", func(t *testing.T) {
		pc := e.Must(t, http.StatusCreated, tick(e).Do(t, "POST", "/v1/partners/"+p.ID+"/codes", v.SecretKey, map[string]any{"code": "ada10"})).Map(t)
		id := pc["id"].(string)
		en := lastAudit(t, e, v, "promotion_code", id)
		checkAudit(t, en, actor, "promotion_code.create", id, "")
		if en["before"] != nil || field(en, "after", "code") != "ADA10" || field(en, "after", "partner_id") != p.ID {
			t.Errorf("entry = %v", en)
		}
	})
	mustNotLeak(t, e, v, p.Token, p.Token[3:], v.SecretKey)
}

func TestAudit_Links(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"domain": "acme.example"}))
	const actor = "secret_key:sk_"
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/a")

	t.Run("Create", func(t *testing.T) {
		en := lastAudit(t, e, v, "link", l.ID)
		checkAudit(t, en, actor, "link.create", l.ID, "")
		if en["before"] != nil || field(en, "after", "key") != l.Key || field(en, "after", "destination_url") != "https://acme.example/a" {
			t.Errorf("entry = %v", en)
		}
	})
	t.Run("Destination", func(t *testing.T) {
		e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/links/"+l.ID, v.SecretKey, map[string]any{"destination_url": "https://acme.example/b", "reason": "new landing page"}))
		en := lastAudit(t, e, v, "link", l.ID)
		checkAudit(t, en, actor, "link.update", l.ID, "new landing page")
		if field(en, "before", "destination_url") != "https://acme.example/a" || field(en, "after", "destination_url") != "https://acme.example/b" {
			t.Errorf("entry = %v", en)
		}
	})
	t.Run("Key", func(t *testing.T) {
		e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/links/"+l.ID, v.SecretKey, map[string]any{"key": "ada-spring"}))
		en := lastAudit(t, e, v, "link", l.ID)
		checkAudit(t, en, actor, "link.update", l.ID, "")
		if field(en, "before", "key") != l.Key || field(en, "after", "key") != "ada-spring" {
			t.Errorf("entry = %v", en)
		}
	})
	t.Run("Archive", func(t *testing.T) {
		e.Must(t, http.StatusOK, tick(e).Do(t, "DELETE", "/v1/links/"+l.ID, v.SecretKey, nil))
		en := lastAudit(t, e, v, "link", l.ID)
		checkAudit(t, en, actor, "link.archive", l.ID, "")
		if field(en, "before", "status") != "active" || field(en, "after", "status") != "archived" {
			t.Errorf("entry = %v", en)
		}
		// Archiving twice changes nothing and writes nothing.
		n := len(auditEntries(t, e, v, ""))
		e.Must(t, http.StatusOK, tick(e).Do(t, "DELETE", "/v1/links/"+l.ID, v.SecretKey, nil))
		if got := len(auditEntries(t, e, v, "")); got != n {
			t.Errorf("%d entries, want %d", got, n)
		}
	})
	t.Run("ByPartner", func(t *testing.T) {
		m := e.Must(t, http.StatusCreated, tick(e).Do(t, "POST", "/v1/partner/links", p.Token, map[string]any{"destination_url": "https://acme.example/c"})).Map(t)
		id := m["id"].(string)
		en := lastAudit(t, e, v, "link", id)
		checkAudit(t, en, "partner:"+p.ID, "link.create", id, "")
	})
	mustNotLeak(t, e, v, p.Token, v.SecretKey, v.SecretKey[3:])
}
