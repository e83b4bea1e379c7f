package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

func TestVendor_TimeZone(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	zone := func() any {
		return e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)).Map(t)["time_zone"]
	}
	if got := zone(); got != "UTC" {
		t.Fatalf("default time_zone = %v", got)
	}
	if m := e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"time_zone": "Europe/Paris"})).Map(t); m["time_zone"] != "Europe/Paris" {
		t.Fatalf("PATCH answer %v", m)
	}
	if got := zone(); got != "Europe/Paris" {
		t.Fatalf("time_zone = %v", got)
	}
	en := lastAudit(t, e, v, "vendor", v.ID)
	if field(en, "before", "time_zone") != "UTC" || field(en, "after", "time_zone") != "Europe/Paris" {
		t.Errorf("audit = %v", en)
	}
	for _, bad := range []any{"Mars/Olympus", "Local", "/etc/localtime", "../../etc/passwd", 2} {
		r := e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"time_zone": bad})
		mustError(t, r, http.StatusBadRequest, attribution.EINVALID)
	}
	if got := zone(); got != "Europe/Paris" {
		t.Fatalf("refused PATCH changed time_zone to %v", got)
	}
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"time_zone": ""}))
	if got := zone(); got != "UTC" {
		t.Fatalf("empty time_zone = %v, want UTC", got)
	}
}

// TestPeriods_OneRule: start and end mean the same in analytics, partner
// analytics and the exports, in the vendor's time zone or tz's.
func TestPeriods_OneRule(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"time_zone": "America/New_York", "reward_rule": map[string]any{"type": "flat", "amount": 100, "currency": "usd"},
	}))
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://acme.example/")

	// 03:00 UTC on the 14th is 22:00 on the 13th in New York.
	at := time.Date(2026, 1, 14, 3, 0, 0, 0, time.UTC)
	e.Clock.Set(at)
	tok := refOf(t, e.Must(t, http.StatusFound, e.Click(t, l.Key)))
	cust := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{"ref": tok, "email": "c@example.com"})).Map(t)
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
		"customer_id": cust["customer"].(map[string]any)["id"], "amount": 1000, "currency": "usd", "reason": "wire", "purchased_at": at,
	}))
	e.Clock.Set(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))

	// counts answers, per endpoint, how many clicks or purchases the period holds.
	counts := func(t *testing.T, query string) map[string]int {
		t.Helper()
		var an struct{ Totals struct{ Clicks int } }
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/analytics?"+query, v.SecretKey, nil)).JSON(t, &an)
		var pa struct{ Total struct{ Clicks int } }
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partner/analytics?"+query, p.Token, nil)).JSON(t, &pa)
		return map[string]int{
			"analytics": an.Totals.Clicks, "partner analytics": pa.Total.Clicks,
			"purchases.csv": len(csvRows(t, e, v.SecretKey, "/v1/purchases.csv?"+query)),
			"rewards.csv":   len(csvRows(t, e, v.SecretKey, "/v1/rewards.csv?"+query)),
		}
	}
	for _, tt := range []struct {
		query string
		want  int
	}{
		{"start=2026-01-13&end=2026-01-13", 1}, // that whole day in New York
		{"start=2026-01-14&end=2026-01-14", 0},
		{"start=2026-01-14&end=2026-01-14&tz=UTC", 1},
		{"start=2026-01-13&end=2026-01-13&tz=UTC", 0},
		{"start=2026-01-10&end=2026-01-13", 1},
		{"start=2026-01-13T00:00:00Z&end=2026-01-14T03:00:00Z", 0}, // an RFC 3339 end is exclusive
		{"start=2026-01-14T03:00:00Z&end=2026-01-14T03:00:01Z", 1},
		{"start=2026-01-14", 0}, // from midnight of the 14th in New York
		{"end=2026-01-13", 1},
	} {
		t.Run(tt.query, func(t *testing.T) {
			for name, n := range counts(t, tt.query) {
				if n != tt.want {
					t.Errorf("%s: %d, want %d", name, n, tt.want)
				}
			}
		})
	}
	t.Run("DayBucketsInVendorZone", func(t *testing.T) {
		rows, _ := getAnalytics(t, e, v, "start=2026-01-13&end=2026-01-14&group_by=day")
		if len(rows) != 2 || rows["2026-01-13"].Clicks != 1 || rows["2026-01-14"].Clicks != 0 {
			t.Errorf("days = %+v", rows)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		for _, q := range []string{"start=2026-01-14&end=2026-01-13", "start=2026-01-14T00:00:00Z&end=2026-01-14T00:00:00Z",
			"start=2026-01-14&tz=Mars/Olympus", "end=2026-1-14"} {
			for _, r := range []*testenv.Response{
				e.Do(t, "GET", "/v1/analytics?"+q, v.SecretKey, nil),
				e.Do(t, "GET", "/v1/partner/analytics?"+q, p.Token, nil),
				e.Do(t, "GET", "/v1/purchases.csv?"+q, v.SecretKey, nil),
				e.Do(t, "GET", "/v1/rewards.csv?"+q, v.SecretKey, nil),
			} {
				mustError(t, r, http.StatusBadRequest, attribution.EINVALID)
			}
		}
	})
}
