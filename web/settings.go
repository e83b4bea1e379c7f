package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tally-dev/tally/attribution"
)

// settingsData is /dashboard/settings: program, reward rule, Stripe, keys,
// team, sessions and webhook endpoints.
type settingsData struct {
	Origins    string // one per line
	Rule       ruleForm
	WebhookURL string
	Events     []*attribution.StripeEvent
	Users      []*attribution.User
	Sessions   []*attribution.Session
	CurrentID  string // the session of this browser
	// Shown once, on the answer of the change that made them.
	NewSecretKey string
	InviteURL    string
	InviteEmail  string
	// InviteEmailed: the invite link went by email, so it is not shown.
	InviteEmailed bool
	JoinBase      string // the program page's address but its slug
	Webhooks      webhookSettings
}

// ruleForm is the reward rule as its form shows it.
type ruleForm struct {
	Type, Percent, Amount, Currency, Duration, HoldDays string
}

func ruleFormOf(r *attribution.RewardRule) ruleForm {
	if r == nil {
		return ruleForm{Currency: "usd", HoldDays: "30"}
	}
	f := ruleForm{Type: r.Type, Currency: r.Currency, HoldDays: strconv.Itoa(r.HoldDays)}
	if r.Type == attribution.RewardPercent {
		f.Percent = strings.TrimSuffix(strings.TrimRight(attribution.FormatAmount(int64(r.Percent), "usd"), "0"), ".")
	} else {
		f.Amount = attribution.FormatAmount(r.Amount, r.Currency)
	}
	if r.DurationMonths != nil {
		f.Duration = strconv.Itoa(*r.DurationMonths)
	}
	if f.Currency == "" {
		f.Currency = "usd"
	}
	return f
}

// settings answers GET /dashboard/settings.
func (p *pages) settings(c echo.Context) error {
	return p.settingsPage(c, settingsData{})
}

func (p *pages) settingsPage(c echo.Context, d settingsData) error {
	ctx, u := c.Request().Context(), userOf(c)
	v, err := p.vendor(c)
	if err != nil {
		return err
	}
	d.Origins = strings.Join(v.AllowedOrigins, "\n")
	d.Rule = ruleFormOf(v.RewardRule)
	d.WebhookURL = strings.TrimRight(p.PublicURL, "/") + "/webhooks/stripe/" + v.ID
	d.JoinBase = strings.TrimRight(p.PublicURL, "/") + "/join/"
	if d.Events, _, err = p.StripeEvents.ListStripeEvents(ctx, v.ID, attribution.StripeEventFilter{Page: attribution.Page{Limit: 20}}); err != nil {
		return err
	}
	if d.Users, err = p.Team.ListUsers(ctx, v.ID); err != nil {
		return err
	}
	if d.Sessions, err = p.Team.ListSessions(ctx, v.ID, u.ID); err != nil {
		return err
	}
	if d.Webhooks, err = p.loadWebhookSettings(c, v.ID); err != nil { // webhooks.go
		return err
	}
	if s, _, err := p.Accounts.Session(ctx, cookieValue(c, sessionCookie)); err == nil {
		d.CurrentID = s.ID
	}
	return p.render(c, http.StatusOK, "settings", view{Title: "Settings", Nav: "settings", User: u, Vendor: v, Data: d})
}

// saveProgram answers the program form: PATCH /v1/vendor's fields.
func (p *pages) saveProgram(c echo.Context) error {
	u := userOf(c)
	f := map[string]string{}
	for _, name := range []string{"name", "domain", "allowed_origins", "cookie_domain", "attribution_window_days", "fallback_url", "time_zone"} {
		s, err := formText(c, name)
		if err != nil {
			return err
		}
		f[name] = s
	}
	origins := append([]string{}, strings.FieldsFunc(f["allowed_origins"], func(r rune) bool {
		return r == '\n' || r == '\r' || r == ',' || r == ' '
	})...)
	window, err := strconv.Atoi(strings.TrimSpace(f["attribution_window_days"]))
	if err != nil {
		return p.refused(c, attribution.Errorf(attribution.EINVALID, "Attribution window must be a whole number of days."), p.settings)
	}
	name, domain, cookie, fallback, tz := f["name"], f["domain"], f["cookie_domain"], f["fallback_url"], f["time_zone"]
	upd := attribution.VendorUpdate{Name: &name, Domain: &domain, AllowedOrigins: &origins, CookieDomain: &cookie,
		AttributionWindowDays: &window, FallbackURL: &fallback, TimeZone: &tz}
	if err := programFields(c, &upd); err != nil { // join_settings.go
		return p.refused(c, err, p.settings)
	}
	if _, err := p.Vendors.UpdateVendor(c.Request().Context(), u.VendorID, u.Email, upd); err != nil {
		return p.refused(c, err, p.settings)
	}
	return done(c, "/dashboard/settings#program")
}

// saveRewardRule answers the reward rule form; type "none" removes the rule.
func (p *pages) saveRewardRule(c echo.Context) error {
	u := userOf(c)
	f := map[string]string{}
	for _, name := range []string{"type", "percent", "amount", "currency", "duration_months", "hold_days"} {
		s, err := formText(c, name)
		if err != nil {
			return err
		}
		f[name] = strings.TrimSpace(s)
	}
	rule, err := ruleOfForm(f)
	if err != nil {
		return p.refused(c, err, p.settings)
	}
	upd := attribution.VendorUpdate{RewardRule: attribution.RewardRuleUpdate{Set: true, Rule: rule}}
	if _, err := p.Vendors.UpdateVendor(c.Request().Context(), u.VendorID, u.Email, upd); err != nil {
		return p.refused(c, err, p.settings)
	}
	return done(c, "/dashboard/settings#reward-rule")
}

// ruleOfForm reads the reward rule form; the rule itself is validated by
// the vendor update (RewardRule.Validate). nil: no rule.
func ruleOfForm(f map[string]string) (*attribution.RewardRule, error) {
	r := &attribution.RewardRule{Type: f["type"]}
	switch r.Type {
	case "", "none":
		return nil, nil
	case attribution.RewardPercent:
		pct, err := attribution.ParsePercent(f["percent"])
		if err != nil {
			return nil, err
		}
		r.Percent = pct
	case attribution.RewardFlat:
		r.Currency = strings.ToLower(f["currency"])
		amount, err := attribution.ParseAmount(f["amount"], r.Currency)
		if err != nil {
			return nil, err
		}
		r.Amount = amount
	default:
		return nil, attribution.Errorf(attribution.EINVALID, "Choose a percent or a flat reward, or none.")
	}
	if s := f["duration_months"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, attribution.Errorf(attribution.EINVALID, "Months must be a whole number, or empty for every purchase.")
		}
		r.DurationMonths = &n
	}
	hold, err := strconv.Atoi(f["hold_days"])
	if f["hold_days"] == "" {
		hold, err = 0, nil
	}
	if err != nil {
		return nil, attribution.Errorf(attribution.EINVALID, "Hold must be a whole number of days.")
	}
	r.HoldDays = hold
	return r, nil
}

// saveStripe sets the webhook signing secret.
func (p *pages) saveStripe(c echo.Context) error {
	u := userOf(c)
	secret, err := formText(c, "stripe_webhook_secret")
	if err != nil {
		return err
	}
	upd := attribution.VendorUpdate{StripeWebhookSecret: &secret}
	if _, err := p.Vendors.UpdateVendor(c.Request().Context(), u.VendorID, u.Email, upd); err != nil {
		return p.refused(c, err, p.settings)
	}
	return done(c, "/dashboard/settings#stripe")
}

// rotateKey answers "Rotate secret key": the new key is on this answer
// only (never stored in clear, never redirected to), and the old one stops
// working. A dashboard user gets the program's first secret key this way.
func (p *pages) rotateKey(c echo.Context) error {
	u := userOf(c)
	secret, err := p.Vendors.RotateSecretKey(c.Request().Context(), u.VendorID, u.Email)
	if err != nil {
		return err
	}
	return p.settingsPage(c, settingsData{NewSecretKey: secret})
}

// invite answers the team form "Invite": a user with a one-time link,
// emailed to them; with email off, shown here to copy (once, so on this
// answer).
func (p *pages) invite(c echo.Context) error {
	u := userOf(c)
	email, err := formText(c, "email")
	if err != nil {
		return err
	}
	role, err := formText(c, "role")
	if err != nil {
		return err
	}
	in, err := p.Team.InviteUser(c.Request().Context(), u.VendorID, u.Email, email, role)
	if err != nil {
		return p.refused(c, err, p.settings)
	}
	if p.MailEnabled || in.Token == "" {
		return p.settingsPage(c, settingsData{InviteEmail: in.User.Email, InviteEmailed: true})
	}
	return p.settingsPage(c, settingsData{InviteURL: strings.TrimRight(p.PublicURL, "/") + attribution.SetupPath(in.Token), InviteEmail: in.User.Email})
}

// revokeSession ends one of the user's own sessions; ending this
// browser's signs it out.
func (p *pages) revokeSession(c echo.Context) error {
	ctx, u := c.Request().Context(), userOf(c)
	if err := p.Team.RevokeSession(ctx, u.VendorID, u.ID, u.Email, c.Param("id")); err != nil {
		return p.refused(c, err, p.settings)
	}
	if _, _, err := p.Accounts.Session(ctx, cookieValue(c, sessionCookie)); attribution.ErrorCode(err) == attribution.EUNAUTHORIZED {
		p.endSession(c)
		return done(c, "/login")
	}
	return done(c, "/dashboard/settings#sessions")
}
