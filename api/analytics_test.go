package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

// anRow is the part of an analytics row the tests compare.
type anRow struct {
	Clicks       int64            `json:"clicks"`
	UniqueClicks int64            `json:"unique_clicks"`
	BotClicks    int64            `json:"bot_clicks"`
	Signups      int64            `json:"signups"`
	Purchases    int64            `json:"purchases"`
	Revenue      map[string]int64 `json:"revenue"`
	Rewards      map[string]int64 `json:"rewards"`
}

type anReport struct {
	Rows []struct {
		Key string `json:"key"`
		anRow
		ConversionRate float64 `json:"conversion_rate"`
	} `json:"rows"`
	Totals anRow `json:"totals"`
}

// am builds an amount map: am("usd", 5, "eur", 2).
func am(kv ...any) map[string]int64 {
	m := map[string]int64{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = int64(kv[i+1].(int))
	}
	return m
}

// cl builds a row of clicks only.
func cl(clicks, unique, bots int64) anRow {
	return anRow{Clicks: clicks, UniqueClicks: unique, BotClicks: bots, Revenue: am(), Rewards: am()}
}

func getAnalytics(t *testing.T, e *testenv.Env, v testenv.Vendor, query string) (map[string]anRow, anRow) {
	t.Helper()
	var rep anReport
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/analytics?"+query, v.SecretKey, nil)).JSON(t, &rep)
	rows := map[string]anRow{}
	for _, r := range rep.Rows {
		if _, dup := rows[r.Key]; dup {
			t.Fatalf("%s: key %q twice", query, r.Key)
		}
		if r.Clicks > 0 && r.ConversionRate != float64(r.Signups)/float64(r.Clicks) {
			t.Errorf("%s: %q conversion_rate %v", query, r.Key, r.ConversionRate)
		}
		rows[r.Key] = r.anRow
	}
	return rows, rep.Totals
}

func insertClick(t *testing.T, e *testenv.Env, c attribution.Click) {
	t.Helper()
	if err := e.App.Store.Clicks.InsertClicks(t.Context(), []*attribution.Click{&c}); err != nil {
		t.Fatalf("insert click: %v", err)
	}
}

func anClickRow(t *testing.T, e *testenv.Env, r *testenv.Response) attribution.Click {
	t.Helper()
	u, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.App.Tokens.Decode(u.Query().Get(attribution.RefParam))
	if err != nil {
		t.Fatalf("decode token: %v", err)
	}
	var c attribution.Click
	if err := e.App.Store.DB().NewSelect().Model(&c).Where("id = ?", tok.ClickID).Scan(t.Context()); err != nil {
		t.Fatalf("click %s: %v", tok.ClickID, err)
	}
	return c
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestAnalytics seeds clicks, a signup, purchases and rewards at known
// times and checks every group-by and filter against hand-computed rows:
// with nothing rolled up (raw clicks), half rolled up, and all rolled up.
func TestAnalytics(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	pA := e.NewPartner(t, v, "Ada", "ada@example.com")
	pB := e.NewPartner(t, v, "Bob", "bob@example.com")
	lA := e.NewLink(t, v, pA, "https://acme.example/")
	lB := e.NewLink(t, v, pB, "https://acme.example/b")
	other := e.NewVendor(t, "Other")
	oP := e.NewPartner(t, other, "Oz", "oz@example.com")
	oL := e.NewLink(t, other, oP, "https://other.example/")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"reward_rule": map[string]any{
		"type": "percent", "percent": 1000, "duration_months": nil, "hold_days": 30}}))

	// Dimensions unlike those the redirect derives from testenv.BrowserUA.
	us := attribution.Click{Country: "US", Device: "tablet", Browser: "Opera", OS: "ChromeOS", Source: "direct"}
	click := func(id string, l testenv.Link, p testenv.Partner, at, visitor string, base attribution.Click, mod func(*attribution.Click)) {
		c := base
		c.ID, c.VendorID, c.LinkID, c.PartnerID, c.ClickedAt, c.VisitorHash = id, v.ID, l.ID, p.ID, utc(at), visitor
		if mod != nil {
			mod(&c)
		}
		insertClick(t, e, c)
	}
	news := func(c *attribution.Click) {
		c.UTMSource, c.UTMMedium, c.UTMCampaign, c.Variant = "news", "email", "launch", "a"
	}
	// 03:00 UTC on the 10th is the evening of the 9th in New York.
	click("clk_an1", lA, pA, "2026-01-10 03:00", "v1", us, news)
	click("clk_an2", lA, pA, "2026-01-10 20:00", "v1", us, news)
	click("clk_an3", lA, pA, "2026-01-10 10:00", "v2", attribution.Click{Country: "FR", Device: "mobile", Browser: "Safari",
		OS: "iOS", Source: "facebook", ReferrerHost: "facebook.com", Variant: "b"}, nil)
	click("clk_an4", lB, pB, "2026-01-11 05:30", "v1", us, func(c *attribution.Click) {
		news(c)
		c.Source, c.ReferrerHost = "google", "www.google.com"
	})
	click("clk_anbot", lA, pA, "2026-01-10 12:00", "b1", attribution.Click{Country: "US", Device: "bot", Browser: "Googlebot", OS: "", Source: "direct", Bot: true}, nil)
	click("clk_an5", lB, pB, "2026-01-14 23:00", "v3", attribution.Click{Country: "DE", Device: "tv", Browser: "Firefox", OS: "Linux", Source: "direct"}, nil)
	// Another vendor's click on the same day is never counted.
	insertClick(t, e, attribution.Click{ID: "clk_anoth", VendorID: other.ID, LinkID: oL.ID, PartnerID: oP.ID, ClickedAt: utc("2026-01-10 10:00"), VisitorHash: "v1"})

	// A real click, its repeat (same visitor, same link, same day), a
	// signup through the first one's token, two purchases and their rewards.
	e.Clock.Set(utc("2026-01-12 15:00"))
	resp := e.Must(t, http.StatusFound, e.Click(t, lA.Key+"?utm_source=news&utm_medium=email"))
	r1 := anClickRow(t, e, resp)
	e.Clock.Set(utc("2026-01-12 15:01"))
	r2 := anClickRow(t, e, e.Must(t, http.StatusFound, e.Click(t, lA.Key)))
	if r1.UTMSource != "news" || r1.Variant != "" || r1.Bot || r1.Country != "" || r1.Source != "direct" || r1.ReferrerHost != "" ||
		r1.VisitorHash == "" || r2.VisitorHash != r1.VisitorHash || r2.UTMSource != "" || r1.OS == "" ||
		r1.Device == "tablet" || r1.Browser == "Opera" || r1.OS == "ChromeOS" {
		t.Fatalf("redirect clicks = %+v, %+v", r1, r2)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	e.Clock.Set(utc("2026-01-12 15:05"))
	sign := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{
		"ref": loc.Query().Get(attribution.RefParam), "email": "carol@example.com"})).Map(t)
	cust := sign["customer"].(map[string]any)
	if cust["partner_id"] != pA.ID || cust["click_id"] != r1.ID {
		t.Fatalf("signup = %v", sign)
	}
	e.Clock.Set(utc("2026-01-13 04:00")) // the evening of the 12th in New York
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
		"customer_id": cust["id"], "amount": 5000, "currency": "USD", "reason": "wire"}))
	e.Clock.Set(utc("2026-01-13 10:00"))
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
		"customer_id": cust["id"], "amount": 2000, "currency": "eur", "reason": "wire"}))
	// A customer credited by hand to Bob (no click, no link), and a purchase.
	e.Clock.Set(utc("2026-01-14 10:00"))
	manual := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{
		"email": "dan@example.com", "partner_id": pB.ID, "reason": "phone"})).Map(t)
	e.Clock.Set(utc("2026-01-14 11:00"))
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
		"customer_id": manual["id"], "amount": 1000, "currency": "usd", "reason": "wire"}))
	// Not in the range of the queries.
	e.Clock.Set(utc("2026-01-16 10:00"))
	click("clk_anlate", lA, pA, "2026-01-16 09:00", "v9", us, nil)

	conv := anRow{Signups: 1, Purchases: 2, Revenue: am("usd", 5000, "eur", 2000), Rewards: am("usd", 500, "eur", 200)}
	zero := cl(0, 0, 0)
	const rng = "start=2026-01-09&end=2026-01-15" // a date end includes that day
	cases := []struct {
		query string
		want  map[string]anRow
	}{
		{rng + "&group_by=day", map[string]anRow{
			"2026-01-09": zero,
			"2026-01-10": cl(3, 2, 1),
			"2026-01-11": cl(1, 1, 0),
			"2026-01-12": {Clicks: 2, UniqueClicks: 1, Signups: 1, Revenue: am(), Rewards: am()},
			"2026-01-13": {Purchases: 2, Revenue: am("usd", 5000, "eur", 2000), Rewards: am("usd", 500, "eur", 200)},
			"2026-01-14": {Clicks: 1, UniqueClicks: 1, Purchases: 1, Revenue: am("usd", 1000), Rewards: am("usd", 100)},
			"2026-01-15": zero,
		}},
		{rng + "&tz=America/New_York", map[string]anRow{
			"2026-01-09": cl(1, 1, 0),
			"2026-01-10": cl(2, 2, 1),
			"2026-01-11": cl(1, 1, 0),
			"2026-01-12": {Clicks: 2, UniqueClicks: 1, Signups: 1, Purchases: 1, Revenue: am("usd", 5000), Rewards: am("usd", 500)},
			"2026-01-13": {Purchases: 1, Revenue: am("eur", 2000), Rewards: am("eur", 200)},
			"2026-01-14": {Clicks: 1, UniqueClicks: 1, Purchases: 1, Revenue: am("usd", 1000), Rewards: am("usd", 100)},
			"2026-01-15": zero,
		}},
		{rng + "&group_by=partner", map[string]anRow{
			pA.ID: {Clicks: 5, UniqueClicks: 3, BotClicks: 1, Signups: 1, Purchases: 2, Revenue: conv.Revenue, Rewards: conv.Rewards},
			pB.ID: {Clicks: 2, UniqueClicks: 2, Purchases: 1, Revenue: am("usd", 1000), Rewards: am("usd", 100)},
		}},
		{rng + "&group_by=link", map[string]anRow{
			lA.ID: {Clicks: 5, UniqueClicks: 3, BotClicks: 1, Signups: 1, Purchases: 2, Revenue: conv.Revenue, Rewards: conv.Rewards},
			lB.ID: cl(2, 2, 0),
			"":    {Purchases: 1, Revenue: am("usd", 1000), Rewards: am("usd", 100)},
		}},
		{rng + "&group_by=utm_source", map[string]anRow{
			// r1 carried utm_source=news, its repeat none: the repeat is the
			// visitor's second click of the day, so "" gets no unique.
			"news": {Clicks: 4, UniqueClicks: 3, Signups: 1, Purchases: 2, Revenue: conv.Revenue, Rewards: conv.Rewards},
			"":     {Clicks: 3, UniqueClicks: 2, BotClicks: 1, Purchases: 1, Revenue: am("usd", 1000), Rewards: am("usd", 100)},
		}},
		{rng + "&group_by=utm_medium", map[string]anRow{
			"email": {Clicks: 4, UniqueClicks: 3, Signups: 1, Purchases: 2, Revenue: conv.Revenue, Rewards: conv.Rewards},
			"":      {Clicks: 3, UniqueClicks: 2, BotClicks: 1, Purchases: 1, Revenue: am("usd", 1000), Rewards: am("usd", 100)},
		}},
		{rng + "&group_by=utm_campaign", map[string]anRow{
			// r1 carried no campaign.
			"launch": cl(3, 2, 0),
			"":       {Clicks: 4, UniqueClicks: 3, BotClicks: 1, Signups: 1, Purchases: 3, Revenue: am("usd", 6000, "eur", 2000), Rewards: am("usd", 600, "eur", 200)},
		}},
		{rng + "&group_by=variant", map[string]anRow{
			"a": cl(3, 2, 0),
			"b": cl(1, 1, 0),
			"":  {Clicks: 3, UniqueClicks: 2, BotClicks: 1, Signups: 1, Purchases: 3, Revenue: am("usd", 6000, "eur", 2000), Rewards: am("usd", 600, "eur", 200)},
		}},
		{rng + "&group_by=country", map[string]anRow{
			"US":       cl(3, 2, 1),
			"FR":       cl(1, 1, 0),
			"DE":       cl(1, 1, 0),
			r1.Country: {Clicks: 2, UniqueClicks: 1, Signups: 1, Purchases: 3, Revenue: am("usd", 6000, "eur", 2000), Rewards: am("usd", 600, "eur", 200)},
		}},
		{rng + "&group_by=source", map[string]anRow{
			"direct":   {Clicks: 5, UniqueClicks: 3, BotClicks: 1, Signups: 1, Purchases: 2, Revenue: conv.Revenue, Rewards: conv.Rewards},
			"facebook": cl(1, 1, 0),
			"google":   cl(1, 1, 0),
			"":         {Purchases: 1, Revenue: am("usd", 1000), Rewards: am("usd", 100)},
		}},
		{rng + "&group_by=referrer", map[string]anRow{
			"":               {Clicks: 5, UniqueClicks: 3, BotClicks: 1, Signups: 1, Purchases: 3, Revenue: am("usd", 6000, "eur", 2000), Rewards: am("usd", 600, "eur", 200)},
			"facebook.com":   cl(1, 1, 0),
			"www.google.com": cl(1, 1, 0),
		}},
		{rng + "&group_by=device", map[string]anRow{
			"tablet":  cl(3, 2, 0),
			"mobile":  cl(1, 1, 0),
			"tv":      cl(1, 1, 0),
			"bot":     cl(0, 0, 1),
			r1.Device: {Clicks: 2, UniqueClicks: 1, Signups: 1, Purchases: 2, Revenue: conv.Revenue, Rewards: conv.Rewards},
			"":        {Purchases: 1, Revenue: am("usd", 1000), Rewards: am("usd", 100)},
		}},
		{rng + "&group_by=browser", map[string]anRow{
			"Opera":     cl(3, 2, 0),
			"Safari":    cl(1, 1, 0),
			"Firefox":   cl(1, 1, 0),
			"Googlebot": cl(0, 0, 1),
			r1.Browser:  {Clicks: 2, UniqueClicks: 1, Signups: 1, Purchases: 2, Revenue: conv.Revenue, Rewards: conv.Rewards},
			"":          {Purchases: 1, Revenue: am("usd", 1000), Rewards: am("usd", 100)},
		}},
		{rng + "&group_by=os", map[string]anRow{
			"ChromeOS": cl(3, 2, 0),
			"iOS":      cl(1, 1, 0),
			"Linux":    cl(1, 1, 0),
			r1.OS:      {Clicks: 2, UniqueClicks: 1, Signups: 1, Purchases: 2, Revenue: conv.Revenue, Rewards: conv.Rewards},
			"":         {BotClicks: 1, Purchases: 1, Revenue: am("usd", 1000), Rewards: am("usd", 100)},
		}},
		{rng + "&group_by=day&partner_id=" + pB.ID, map[string]anRow{
			"2026-01-09": zero, "2026-01-10": zero, "2026-01-12": zero, "2026-01-13": zero, "2026-01-15": zero,
			"2026-01-11": cl(1, 1, 0),
			"2026-01-14": {Clicks: 1, UniqueClicks: 1, Purchases: 1, Revenue: am("usd", 1000), Rewards: am("usd", 100)},
		}},
		{rng + "&group_by=partner&variant=a", map[string]anRow{
			pA.ID: cl(2, 1, 0),
			pB.ID: cl(1, 1, 0),
		}},
		{"start=2026-01-10&end=2026-01-13&group_by=day&utm_source=news&link_id=" + lA.ID, map[string]anRow{
			"2026-01-10": cl(2, 1, 0),
			"2026-01-11": zero,
			"2026-01-12": {Clicks: 1, UniqueClicks: 1, Signups: 1, Revenue: am(), Rewards: am()},
			"2026-01-13": {Purchases: 2, Revenue: conv.Revenue, Rewards: conv.Rewards},
		}},
		// RFC 3339 bounds: the hours of the 10th from 04:00 to 20:00 (exclusive).
		{"start=2026-01-10T04:00:00Z&end=2026-01-10T20:00:00Z&group_by=partner", map[string]anRow{
			pA.ID: cl(1, 1, 1),
		}},
	}
	check := func(phase string) {
		t.Helper()
		checkBreakdowns(t, e, v.ID, pA.ID, lA.ID, phase)
		for _, c := range cases {
			got, totals := getAnalytics(t, e, v, c.query)
			for k, r := range c.want {
				if r.Revenue == nil {
					r.Revenue = am()
				}
				if r.Rewards == nil {
					r.Rewards = am()
				}
				c.want[k] = r
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: %s:\n got %+v\nwant %+v", phase, c.query, got, c.want)
			}
			var sum anRow
			for _, r := range got {
				sum.Clicks += r.Clicks
				sum.UniqueClicks += r.UniqueClicks
				sum.BotClicks += r.BotClicks
				sum.Signups += r.Signups
				sum.Purchases += r.Purchases
			}
			if sum.Clicks != totals.Clicks || sum.UniqueClicks != totals.UniqueClicks || sum.BotClicks != totals.BotClicks ||
				sum.Signups != totals.Signups || sum.Purchases != totals.Purchases {
				t.Errorf("%s: %s: totals %+v, rows add up to %+v", phase, c.query, totals, sum)
			}
		}
	}
	check("raw clicks")

	// Half rolled up: the hours before 2026-01-11 00:00 come from rollups.
	e.Clock.Set(utc("2026-01-11 00:05"))
	if th, err := e.App.Store.Analytics.RollUpClicks(t.Context()); err != nil || !th.Equal(utc("2026-01-11 00:00")) {
		t.Fatalf("rollup: %v %v", th, err)
	}
	e.Clock.Set(utc("2026-01-16 10:00"))
	check("half rolled up")
	if _, err := e.App.Store.Analytics.RollUpClicks(t.Context()); err != nil {
		t.Fatal(err)
	}
	check("rolled up")
	// Rolling up again changes nothing.
	if _, err := e.App.Store.Analytics.RollUpClicks(t.Context()); err != nil {
		t.Fatal(err)
	}
	check("rolled up twice")

	// The other vendor sees its own click only.
	got, _ := getAnalytics(t, e, other, rng+"&group_by=partner")
	if !reflect.DeepEqual(got, map[string]anRow{oP.ID: cl(1, 1, 0)}) {
		t.Errorf("other vendor: %+v", got)
	}
}

func TestAnalytics_Defaults(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	var rep struct {
		Start, End time.Time
		TZ         string `json:"tz"`
		GroupBy    string `json:"group_by"`
		Rows       []map[string]any
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/analytics", v.SecretKey, nil)).JSON(t, &rep)
	// The clock is at 2026-01-15 12:00 UTC: the 30 days ending with today.
	if !rep.Start.Equal(utc("2025-12-17 00:00")) || !rep.End.Equal(utc("2026-01-16 00:00")) || rep.TZ != "UTC" || rep.GroupBy != "day" || len(rep.Rows) != 30 {
		t.Fatalf("defaults: %+v (%d rows)", rep, len(rep.Rows))
	}
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/analytics?tz=Asia/Kolkata&start=2026-01-01&end=2026-01-02", v.SecretKey, nil)).JSON(t, &rep)
	if !rep.Start.Equal(utc("2025-12-31 18:30")) || len(rep.Rows) != 2 {
		t.Fatalf("Kolkata: %+v", rep)
	}
	e.Must(t, http.StatusUnauthorized, e.Do(t, "GET", "/v1/analytics", "", nil))
}

func TestAnalytics_BadParams(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	for _, q := range []string{
		"group_by=week",
		"group_by=DAY",
		"tz=Mars/Olympus",
		"tz=../../etc/passwd",
		"tz=Local",
		"start=2026-13-01",
		"start=yesterday",
		"end=2026-01-01T25:00:00Z",
		"start=2026-01-10T00:00:00Z&end=2026-01-10T00:00:00Z",
		"start=2026-01-10&end=2026-01-09",
		"start=2025-01-01&end=2026-02-06",
		"start=0001-01-01T00:00:00Z&end=2026-01-01",
		"partner_id=" + strings.Repeat("x", 201),
	} {
		t.Run(fmt.Sprintf("%.40s", q), func(t *testing.T) {
			r := e.Do(t, "GET", "/v1/analytics?"+q, v.SecretKey, nil)
			if r.StatusCode != http.StatusBadRequest || r.ErrorCode() != attribution.EINVALID {
				t.Fatalf("%s: %d %s", q, r.StatusCode, r.Body)
			}
		})
	}
	// 400 days exactly is fine (a date end includes that day).
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/analytics?start=2025-01-01&end=2026-02-04", v.SecretKey, nil))
}

// TestAnalytics_Retention: clicks older than the retention are deleted once
// rolled up, the attributing click is kept without its visitor data, and
// analytics for their period do not change.
func TestAnalytics_Retention(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/")
	for i, at := range []string{"2024-11-01 10:00", "2024-11-01 11:00", "2024-11-02 10:00", "2025-06-01 10:00"} {
		insertClick(t, e, attribution.Click{ID: fmt.Sprintf("clk_ret%d", i), VendorID: v.ID, LinkID: l.ID, PartnerID: p.ID,
			ClickedAt: utc(at), VisitorHash: "v1", UTMSource: "old", Country: "US", Bot: i == 2})
	}
	e.Clock.Set(utc("2024-11-03 09:00"))
	resp := e.Must(t, http.StatusFound, e.Click(t, l.Key+"?utm_source=news"))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{
		"ref": loc.Query().Get(attribution.RefParam), "email": "carol@example.com"}))

	e.Clock.Set(utc("2026-01-15 12:00"))
	queries := []string{"start=2024-10-30&end=2024-11-05", "start=2024-10-30&end=2024-11-05&group_by=utm_source&tz=Europe/Paris",
		"start=2024-10-30&end=2025-12-01&group_by=country"}
	before := map[string]map[string]anRow{}
	for _, q := range queries {
		before[q], _ = getAnalytics(t, e, v, q)
	}
	if r := before[queries[0]]["2024-11-01"]; r.Clicks != 2 || r.UniqueClicks != 1 {
		t.Fatalf("before retention: %+v", before[queries[0]])
	}
	countClicks := func() (n int64) {
		n, err := e.App.Store.DB().NewSelect().TableExpr("clicks").Where("vendor_id = ?", v.ID).Count(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Nothing rolled up yet: nothing may be deleted.
	if res, err := e.App.Store.Retention.ApplyRetention(t.Context(), 400); err != nil || res.ClicksDeleted != 0 || countClicks() != 5 {
		t.Fatalf("retention before rollup: %+v %v, %d clicks", res, err, countClicks())
	}
	if _, err := e.App.Store.Analytics.RollUpClicks(t.Context()); err != nil {
		t.Fatal(err)
	}
	res, err := e.App.Store.Retention.ApplyRetention(t.Context(), 400)
	if err != nil || res.ClicksDeleted != 3 || res.ClicksKept != 1 || !res.PingsPruned || !res.Before.Equal(utc("2024-12-11 12:00")) {
		t.Fatalf("retention: %+v %v", res, err)
	}
	var kept []attribution.Click
	if err := e.App.Store.DB().NewSelect().Model(&kept).Where("vendor_id = ?", v.ID).Order("clicked_at").Scan(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(kept) != 2 || kept[0].UTMSource != "news" || kept[0].VisitorHash != "" || kept[0].IPHash != "" || kept[0].IPTrunc != "" ||
		kept[1].ID != "clk_ret3" || kept[1].VisitorHash != "v1" {
		t.Fatalf("clicks after retention: %+v", kept)
	}
	for _, q := range queries {
		if after, _ := getAnalytics(t, e, v, q); !reflect.DeepEqual(after, before[q]) {
			t.Errorf("%s: after retention\n got %+v\nwant %+v", q, after, before[q])
		}
	}
	// Applying it again deletes nothing more.
	if res, err := e.App.Store.Retention.ApplyRetention(t.Context(), 400); err != nil || res.ClicksDeleted != 0 || res.ClicksKept != 0 {
		t.Fatalf("second retention: %+v %v", res, err)
	}
}
