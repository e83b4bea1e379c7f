package web_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tally-dev/tally/internal/testenv"
)

// approvedReward creates an approved reward by hand, as the API does.
func approvedReward(t *testing.T, e *testenv.Env, v testenv.Vendor, partnerID string, amount int64, currency string) string {
	t.Helper()
	e.Clock.Advance(time.Millisecond)
	body := map[string]any{"partner_id": partnerID, "amount": amount, "currency": currency, "reason": "bonus"}
	return e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/rewards", v.SecretKey, body)).Map(t)["id"].(string)
}

var payoutPath = regexp.MustCompile(`^/dashboard/payouts/(po_[A-Za-z0-9]+)$`)

func TestPayoutsPage(t *testing.T) {
	e := testenv.New(t)
	v, b := owner(t, e, "Acme", "ada@acme.example")
	admin := "ada@acme.example"
	page := "/dashboard/payouts"

	t.Run("EmptyState", func(t *testing.T) {
		got := text(b.Get(t, page).Must(t, http.StatusOK))
		if !strings.Contains(got, "Nothing is due now") || !strings.Contains(got, "No payout yet") {
			t.Errorf("the empty page does not say so:\n%s", got)
		}
		if p := act(t, b, page, page, nil).Must(t, http.StatusConflict); !strings.Contains(p.Body, "no payout was created") {
			t.Errorf("creating payouts with nothing due:\n%s", p.Body)
		}
	})

	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"minimum_payout": 1000}))
	grace := e.NewPartner(t, v, "Grace", "grace@partners.example")
	linus := e.NewPartner(t, v, "Linus", "linus@partners.example")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partner/me", linus.Token, map[string]any{
		"payout_method": map[string]any{"type": "wise", "name": "Linus T", "iban": "GB82 WEST 1234 5698 7654 32", "currency": "gbp"},
	}))
	graceUSD := approvedReward(t, e, v, grace.ID, 1500, "usd")
	approvedReward(t, e, v, grace.ID, 2000, "eur")
	linusSmall := approvedReward(t, e, v, linus.ID, 500, "usd") // below the minimum

	t.Run("Due", func(t *testing.T) {
		got := text(b.Get(t, page).Must(t, http.StatusOK))
		for _, want := range []string{"Grace", "USD 15.00", "EUR 20.00", "USD 10.00", "Create payouts", "Create payout"} {
			if !strings.Contains(got, want) {
				t.Errorf("the due list lacks %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "Linus") {
			t.Errorf("a partner below the minimum is listed as due:\n%s", got)
		}
		approvedReward(t, e, v, linus.ID, 1000, "usd")
		got = text(b.Get(t, page).Must(t, http.StatusOK))
		if !strings.Contains(got, "Linus") || !strings.Contains(got, "USD 15.00") || !strings.Contains(got, "******************5432") ||
			strings.Contains(got, "GB82WEST") {
			t.Errorf("Linus's due payout, IBAN masked:\n%s", got)
		}
		b.Get(t, page+"?status=sent").Must(t, http.StatusBadRequest)
	})

	var linusPayout string
	t.Run("CreateForOnePartner", func(t *testing.T) {
		p := act(t, b, page, page, url.Values{"partner_id": {linus.ID}}).Must(t, http.StatusSeeOther)
		m := payoutPath.FindStringSubmatch(p.Location())
		if m == nil {
			t.Fatalf("one batch leads to %q", p.Location())
		}
		linusPayout = m[1]
		mustAudit(t, e, v, "payout.create", admin, linusPayout)
		got := text(b.Get(t, page).Must(t, http.StatusOK))
		if strings.Contains(got, "Linus USD") || !strings.Contains(got, linusPayout) {
			t.Errorf("after Linus's payout:\n%s", got)
		}
		other := e.NewPartner(t, e.NewVendor(t, "Other"), "Olga", "olga@partners.example")
		act(t, b, page, page, url.Values{"partner_id": {other.ID}}).Must(t, http.StatusNotFound)
		act(t, b, page, page, url.Values{"partner_id": {"not an id"}}).Must(t, http.StatusBadRequest)
	})

	t.Run("CreateAll", func(t *testing.T) {
		act(t, b, page, page, nil).Must(t, http.StatusSeeOther) // usd and eur: two batches
		if got := text(b.Get(t, page).Must(t, http.StatusOK)); !strings.Contains(got, "Nothing is due now") || strings.Count(got, "po_") != 3 {
			t.Errorf("after creating every payout:\n%s", got)
		}
		if got := text(b.Get(t, page+"?status=paid").Must(t, http.StatusOK)); !strings.Contains(got, "No paid payouts") {
			t.Errorf("paid filter:\n%s", got)
		}
	})

	t.Run("PayoutPage", func(t *testing.T) {
		one := "/dashboard/payouts/" + linusPayout
		got := text(b.Get(t, one).Must(t, http.StatusOK))
		for _, want := range []string{"USD 15.00", "Linus", "linus@partners.example", "Wise: Linus T, IBAN ******************5432", "PayPal CSV", "Wise CSV", "Mark paid", "Reason"} {
			if !strings.Contains(got, want) {
				t.Errorf("the payout's page lacks %q:\n%s", want, got)
			}
		}
		for format, want := range map[string][]string{"paypal": {"linus@partners.example", "15.00", "USD"}, "wise": {"GB82WEST12345698765432", "15.00"}} {
			f := b.Get(t, one+"/"+format+".csv").Must(t, http.StatusOK)
			if ct := f.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
				t.Errorf("%s: content type %q", format, ct)
			}
			rows, err := csv.NewReader(strings.NewReader(f.Body)).ReadAll()
			if err != nil || len(rows) == 0 || len(rows) > 2 { // Wise's has a header, PayPal's has none
				t.Fatalf("%s file: %v %q", format, err, f.Body)
			}
			last := strings.Join(rows[len(rows)-1], ",")
			for _, w := range want {
				if !strings.Contains(last, w) {
					t.Errorf("%s row %q lacks %q", format, last, w)
				}
			}
		}
		b.Get(t, one+"/excel.csv").Must(t, http.StatusNotFound)
		b.Get(t, "/dashboard/payouts/po_nothing").Must(t, http.StatusNotFound)
	})

	t.Run("MarkPaid", func(t *testing.T) {
		one := "/dashboard/payouts/" + linusPayout
		act(t, b, one, one+"/paid", url.Values{"reason": {"Wise batch 42"}}).Must(t, http.StatusSeeOther)
		if a := mustAudit(t, e, v, "payout.paid", admin, linusPayout); a.Reason != "Wise batch 42" {
			t.Errorf("payout.paid reason %q", a.Reason)
		}
		if r := rewardOf(t, e, v, linusSmall); r.Status != "paid" {
			t.Errorf("a reward of the paid payout is %s", r.Status)
		}
		if r := rewardOf(t, e, v, graceUSD); r.Status != "approved" {
			t.Errorf("a reward of another payout is %s", r.Status)
		}
		got := text(b.Get(t, one).Must(t, http.StatusOK))
		if !strings.Contains(got, "Status Paid") || strings.Contains(got, "Mark paid") {
			t.Errorf("a paid payout's page:\n%s", got)
		}
		csrf := b.Get(t, one).CSRF(t)
		if p := b.Post(t, one+"/paid", url.Values{"csrf_token": {csrf}}).Must(t, http.StatusConflict); !strings.Contains(p.Body, "paid already") {
			t.Errorf("paid twice:\n%s", p.Body)
		}
	})

	t.Run("OtherVendor", func(t *testing.T) {
		_, ob := owner(t, e, "Other", "olga@other.example")
		one := "/dashboard/payouts/" + linusPayout
		ob.Get(t, one).Must(t, http.StatusNotFound)
		ob.Get(t, one+"/wise.csv").Must(t, http.StatusNotFound)
		act(t, ob, page, one+"/paid", nil).Must(t, http.StatusNotFound)
		if got := text(ob.Get(t, page).Must(t, http.StatusOK)); strings.Contains(got, "po_") || strings.Contains(got, "Grace") {
			t.Errorf("another vendor's payouts page shows Acme's:\n%s", got)
		}
	})

	t.Run("Viewer", func(t *testing.T) {
		vb := viewer(t, e, vendorOf(t, e, b), "vic@acme.example")
		approvedReward(t, e, v, grace.ID, 3000, "usd")
		list := vb.Get(t, page).Must(t, http.StatusOK)
		noChangeButtons(t, list)
		if !strings.Contains(text(list), "USD 30.00") {
			t.Errorf("the viewer does not see what is due:\n%s", text(list))
		}
		noChangeButtons(t, vb.Get(t, "/dashboard/payouts/"+linusPayout).Must(t, http.StatusOK))
		vb.Post(t, page, url.Values{"csrf_token": {list.CSRF(t)}}).Must(t, http.StatusForbidden)
		if got := text(b.Get(t, page).Must(t, http.StatusOK)); !strings.Contains(got, "USD 30.00") {
			t.Errorf("the viewer's refused change created a payout:\n%s", got)
		}
	})
}
