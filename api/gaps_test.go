package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/tally-dev/tally/internal/testenv"
)

type gapsAnswer struct {
	Start               time.Time `json:"start"`
	End                 time.Time `json:"end"`
	UnattributedSignups []struct {
		Cause   string `json:"cause"`
		Count   int64  `json:"count"`
		Summary string `json:"summary"`
		Remedy  struct {
			Text  string `json:"text"`
			Steps []struct {
				Action  string `json:"action"`
				Request *struct {
					Method, Path string
				} `json:"request"`
			} `json:"steps"`
		} `json:"remedy"`
	} `json:"unattributed_signups"`
	UnattributedPurchases []struct {
		Cause   string           `json:"cause"`
		Count   int64            `json:"count"`
		Amounts map[string]int64 `json:"amounts"`
	} `json:"unattributed_purchases"`
	UTMGroups []struct {
		Field     string `json:"field"`
		Canonical string `json:"canonical"`
		Values    []struct {
			Value  string `json:"value"`
			Clicks int64  `json:"clicks"`
			Links  int64  `json:"links"`
		} `json:"values"`
	} `json:"utm_groups"`
	LinksWithoutClicks []struct {
		LinkID string `json:"link_id"`
		Key    string `json:"key"`
	} `json:"links_without_clicks"`
	VariantsWithoutClicks []struct {
		Variant      string `json:"variant"`
		ClicksBefore int64  `json:"clicks_before"`
	} `json:"variants_without_clicks"`
}

func TestGaps(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Grace", "grace@partners.example")
	// Two links whose campaign parameters spell Facebook two ways; one of
	// them is never clicked.
	var clicked, idle testenv.Link
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/links", v.SecretKey, map[string]any{"partner_id": p.ID,
		"destination_url": "https://acme.example/", "utm": map[string]string{"source": "Facebook"}})).JSON(t, &clicked)
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/links", v.SecretKey, map[string]any{"partner_id": p.ID,
		"destination_url": "https://acme.example/b", "utm": map[string]string{"source": "fb"}})).JSON(t, &idle)

	// Long before the period: variant "old" is clicked.
	e.Must(t, http.StatusFound, e.Click(t, clicked.Key+"?v=old"))
	e.Clock.Advance(40 * 24 * time.Hour)
	periodStart := e.Clock.Now()
	e.Must(t, http.StatusFound, e.Click(t, clicked.Key+"?utm_source=facebook"))
	e.Must(t, http.StatusFound, e.Click(t, clicked.Key+"?utm_source=facebook&v=new"))

	// Signups without a token, one of which buys.
	var cust struct {
		Customer struct{ ID string } `json:"customer"`
	}
	for i, email := range []string{"a@customers.example", "b@customers.example"} {
		e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{"email": email})).JSON(t, &cust)
		if i == 0 {
			e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
				"customer_id": cust.Customer.ID, "amount": 4200, "currency": "eur", "reason": "test"}))
		}
	}
	e.Clock.Advance(time.Minute)

	var g gapsAnswer
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/gaps", v.SecretKey, nil)).JSON(t, &g)
	if !g.End.After(periodStart) || g.End.Sub(g.Start) < 29*24*time.Hour {
		t.Errorf("default period %s..%s, want the last 30 days", g.Start, g.End)
	}
	if len(g.UnattributedSignups) != 1 || g.UnattributedSignups[0].Cause != "no_token" || g.UnattributedSignups[0].Count != 2 {
		t.Fatalf("unattributed signups = %+v", g.UnattributedSignups)
	}
	steps := g.UnattributedSignups[0].Remedy.Steps
	if len(steps) == 0 || steps[0].Request == nil || steps[0].Request.Path != "/v1/health/snippet" {
		t.Errorf("the no_token remedy's first step is not the snippet health request: %+v", steps)
	}
	if len(g.UnattributedPurchases) != 1 || g.UnattributedPurchases[0].Count != 1 || g.UnattributedPurchases[0].Amounts["eur"] != 4200 {
		t.Errorf("unattributed purchases = %+v", g.UnattributedPurchases)
	}
	if len(g.UTMGroups) != 1 || g.UTMGroups[0].Field != "utm_source" || len(g.UTMGroups[0].Values) != 3 {
		t.Fatalf("UTM groups = %+v", g.UTMGroups)
	}
	if grp := g.UTMGroups[0]; grp.Canonical != "facebook" || grp.Values[0].Clicks != 2 {
		t.Errorf("the group's canonical spelling is the most clicked one: %+v", grp)
	}
	if len(g.LinksWithoutClicks) != 1 || g.LinksWithoutClicks[0].LinkID != idle.ID || g.LinksWithoutClicks[0].Key != idle.Key {
		t.Errorf("links without clicks = %+v, want only %s", g.LinksWithoutClicks, idle.ID)
	}
	if len(g.VariantsWithoutClicks) != 1 || g.VariantsWithoutClicks[0].Variant != "old" || g.VariantsWithoutClicks[0].ClicksBefore != 1 {
		t.Errorf("variants without clicks = %+v", g.VariantsWithoutClicks)
	}

	t.Run("APeriodWithoutThem", func(t *testing.T) {
		var early gapsAnswer
		start := periodStart.Add(-30 * 24 * time.Hour).Format("2006-01-02")
		end := periodStart.Add(-2 * 24 * time.Hour).Format("2006-01-02")
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/gaps?start="+start+"&end="+end, v.SecretKey, nil)).JSON(t, &early)
		if len(early.UnattributedSignups) != 0 || len(early.UnattributedPurchases) != 0 || len(early.LinksWithoutClicks) != 2 {
			t.Errorf("the early period: %+v", early)
		}
	})
	t.Run("OtherVendorSeesNothing", func(t *testing.T) {
		var other gapsAnswer
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/gaps", e.NewVendor(t, "Globex").SecretKey, nil)).JSON(t, &other)
		if len(other.UnattributedSignups)+len(other.UnattributedPurchases)+len(other.UTMGroups)+len(other.LinksWithoutClicks) != 0 {
			t.Errorf("another vendor's gaps: %+v", other)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		for _, q := range []string{"?start=2026-02-01&end=2026-01-01", "?start=yesterday", "?tz=Mars/Olympus", "?start=2020-01-01&end=2026-01-01"} {
			if r := e.Do(t, "GET", "/v1/gaps"+q, v.SecretKey, nil); r.StatusCode != http.StatusBadRequest || r.ErrorCode() != "invalid" {
				t.Errorf("GET /v1/gaps%s: %d %s", q, r.StatusCode, r.Body)
			}
		}
		if r := e.Do(t, "GET", "/v1/gaps", "", nil); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("without a key: %d", r.StatusCode)
		}
	})
}
