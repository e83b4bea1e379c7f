package api_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/tally-dev/tally/attribution"
	"github.com/tally-dev/tally/internal/testenv"
)

// payout is a batch as the API answers it.
type payout struct {
	ID           string `json:"id"`
	Currency     string `json:"currency"`
	Amount       int64  `json:"amount"`
	PartnerCount int    `json:"partner_count"`
	RewardCount  int    `json:"reward_count"`
	Status       string `json:"status"`
	Items        []struct {
		PartnerID string   `json:"partner_id"`
		Amount    int64    `json:"amount"`
		RewardIDs []string `json:"reward_ids"`
		Partner   struct {
			Name         string         `json:"name"`
			Email        string         `json:"email"`
			PayoutMethod map[string]any `json:"payout_method"`
		} `json:"partner"`
	} `json:"items"`
}

type dueRow struct {
	PartnerID   string `json:"partner_id"`
	Currency    string `json:"currency"`
	Amount      int64  `json:"amount"`
	RewardCount int    `json:"reward_count"`
}

func manualReward(t *testing.T, e *testenv.Env, v testenv.Vendor, partnerID string, amount int64, currency string, extra ...any) string {
	t.Helper()
	body := map[string]any{"partner_id": partnerID, "amount": amount, "currency": currency, "reason": "bonus"}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	return e.Must(t, http.StatusCreated, tick(e).Do(t, "POST", "/v1/rewards", v.SecretKey, body)).Map(t)["id"].(string)
}

func duePayouts(t *testing.T, e *testenv.Env, v testenv.Vendor) []dueRow {
	t.Helper()
	var l struct{ Data []dueRow }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/payouts/due", v.SecretKey, nil)).JSON(t, &l)
	return l.Data
}

func createPayouts(t *testing.T, e *testenv.Env, v testenv.Vendor, body any) []payout {
	t.Helper()
	var l struct{ Data []payout }
	e.Must(t, http.StatusCreated, tick(e).Do(t, "POST", "/v1/payouts", v.SecretKey, body)).JSON(t, &l)
	return l.Data
}

func rewardStatus(t *testing.T, e *testenv.Env, v testenv.Vendor, id string) (string, int64) {
	t.Helper()
	r := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards/"+id, v.SecretKey, nil)).Map(t)
	return r["status"].(string), int64(r["amount"].(float64))
}

// TestPayouts_DueAndBatches: what is due per partner and currency against
// the vendor's minimum, one batch per currency, a reward in one batch
// only, marking paid once.
func TestPayouts_DueAndBatches(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	ada := e.NewPartner(t, v, "Ada", "ada@partner.example")
	bob := e.NewPartner(t, v, "Bob", "bob@partner.example")
	cy := e.NewPartner(t, v, "Cy", "cy@partner.example")

	t.Run("MinimumSetting", func(t *testing.T) {
		if m := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/vendor", v.SecretKey, nil)).Map(t)["minimum_payout"]; m != 0.0 {
			t.Fatalf("default minimum_payout = %v", m)
		}
		for _, bad := range []any{-1, attribution.MaxAmount + 1, "10", 1.5} {
			mustError(t, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"minimum_payout": bad}), http.StatusBadRequest, attribution.EINVALID)
		}
		got := e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{"minimum_payout": 1000, "reason": "fees"})).Map(t)
		if got["minimum_payout"] != 1000.0 {
			t.Fatalf("minimum_payout = %v", got["minimum_payout"])
		}
		en := lastAudit(t, e, v, "vendor", v.ID)
		checkAudit(t, en, "secret_key:sk_", "vendor.update", v.ID, "fees")
		if en["before"].(map[string]any)["minimum_payout"] != 0.0 || en["after"].(map[string]any)["minimum_payout"] != 1000.0 {
			t.Fatalf("audit = %v", en)
		}
	})

	adaUSD := []string{manualReward(t, e, v, ada.ID, 600, "usd"), manualReward(t, e, v, ada.ID, 500, "usd")}
	adaJPY := manualReward(t, e, v, ada.ID, 900, "jpy") // under the minimum in yen
	bobEUR := manualReward(t, e, v, bob.ID, 1000, "eur")
	manualReward(t, e, v, bob.ID, 999, "usd") // under the minimum
	cyKWD := manualReward(t, e, v, cy.ID, 1500, "kwd")
	declined := manualReward(t, e, v, cy.ID, 5000, "usd")
	e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/rewards/"+declined+"/decline", v.SecretKey, map[string]any{"reason": "duplicate"}))

	want := []dueRow{{bob.ID, "eur", 1000, 1}, {cy.ID, "kwd", 1500, 1}, {ada.ID, "usd", 1100, 2}}
	if got := duePayouts(t, e, v); !slices.Equal(got, want) {
		t.Fatalf("due = %+v\nwant %+v", got, want)
	}

	batches := createPayouts(t, e, v, nil)
	if len(batches) != 3 {
		t.Fatalf("batches = %+v", batches)
	}
	byCur := map[string]payout{}
	for _, b := range batches {
		byCur[b.Currency] = b
		if b.Status != "pending" || len(b.Items) != 1 || b.PartnerCount != 1 {
			t.Fatalf("batch = %+v", b)
		}
	}
	usd := byCur["usd"]
	if usd.Amount != 1100 || usd.RewardCount != 2 || usd.Items[0].PartnerID != ada.ID || usd.Items[0].Partner.Email != "ada@partner.example" {
		t.Fatalf("usd batch = %+v", usd)
	}
	slices.Sort(adaUSD)
	if got := slices.Sorted(slices.Values(usd.Items[0].RewardIDs)); !slices.Equal(got, adaUSD) {
		t.Fatalf("usd rewards = %v, want %v", got, adaUSD)
	}
	if byCur["eur"].Items[0].RewardIDs[0] != bobEUR || byCur["kwd"].Items[0].RewardIDs[0] != cyKWD {
		t.Fatalf("batches = %+v", byCur)
	}

	t.Run("NothingTwice", func(t *testing.T) {
		if d := duePayouts(t, e, v); len(d) != 0 {
			t.Fatalf("due after batching = %+v", d)
		}
		if again := createPayouts(t, e, v, map[string]any{}); len(again) != 0 {
			t.Fatalf("second run = %+v", again)
		}
	})

	t.Run("PartnerFilter", func(t *testing.T) {
		manualReward(t, e, v, ada.ID, 200, "jpy") // 1100 yen now
		if got := createPayouts(t, e, v, map[string]any{"partner_ids": []string{bob.ID}}); len(got) != 0 {
			t.Fatalf("bob has nothing due: %+v", got)
		}
		got := createPayouts(t, e, v, map[string]any{"partner_ids": []string{ada.ID}})
		if len(got) != 1 || got[0].Currency != "jpy" || got[0].Amount != 1100 || !slices.Contains(got[0].Items[0].RewardIDs, adaJPY) {
			t.Fatalf("ada's yen = %+v", got)
		}
		mustError(t, e.Do(t, "POST", "/v1/payouts", v.SecretKey, map[string]any{"partner_ids": []string{"nope"}}), http.StatusBadRequest, attribution.EINVALID)
		other := e.NewVendor(t, "Other")
		stranger := e.NewPartner(t, other, "Eve", "eve@partner.example")
		mustError(t, e.Do(t, "POST", "/v1/payouts", v.SecretKey, map[string]any{"partner_ids": []string{stranger.ID}}), http.StatusNotFound, attribution.ENOTFOUND)
	})

	t.Run("ListAndGet", func(t *testing.T) {
		var l struct {
			Data       []payout
			HasMore    bool   `json:"has_more"`
			NextCursor string `json:"next_cursor"`
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/payouts?limit=3", v.SecretKey, nil)).JSON(t, &l)
		if len(l.Data) != 3 || !l.HasMore || l.Data[0].Items != nil {
			t.Fatalf("page 1 = %+v", l)
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/payouts?cursor="+l.NextCursor, v.SecretKey, nil)).JSON(t, &l)
		if len(l.Data) != 1 || l.HasMore {
			t.Fatalf("page 2 = %+v", l)
		}
		var got payout
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/payouts/"+usd.ID, v.SecretKey, nil)).JSON(t, &got)
		if got.Amount != 1100 || len(got.Items) != 1 || len(got.Items[0].RewardIDs) != 2 || got.Items[0].Partner.Name != "Ada" {
			t.Fatalf("payout = %+v", got)
		}
		mustError(t, e.Do(t, "GET", "/v1/payouts/po_01hzzzzzzzzzzzzzzzzzzzzzzz", v.SecretKey, nil), http.StatusNotFound, attribution.ENOTFOUND)
		mustError(t, e.Do(t, "GET", "/v1/payouts?status=sent", v.SecretKey, nil), http.StatusBadRequest, attribution.EINVALID)
		other := e.NewVendor(t, "Another")
		mustError(t, e.Do(t, "GET", "/v1/payouts/"+usd.ID, other.SecretKey, nil), http.StatusNotFound, attribution.ENOTFOUND)
		mustError(t, e.Do(t, "GET", "/v1/payouts/"+usd.ID+".csv?format=paypal", other.SecretKey, nil), http.StatusNotFound, attribution.ENOTFOUND)
		mustError(t, e.Do(t, "POST", "/v1/payouts/"+usd.ID+"/paid", other.SecretKey, nil), http.StatusNotFound, attribution.ENOTFOUND)
	})

	t.Run("BatchedRewardsWaitForTheBatch", func(t *testing.T) {
		mustError(t, e.Do(t, "POST", "/v1/rewards/"+adaUSD[0]+"/pay", v.SecretKey, nil), http.StatusConflict, attribution.ECONFLICT)
		mustError(t, e.Do(t, "POST", "/v1/rewards/"+adaUSD[0]+"/decline", v.SecretKey, map[string]any{"reason": "x"}), http.StatusConflict, attribution.ECONFLICT)
	})

	t.Run("MarkPaidOnce", func(t *testing.T) {
		got := e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/payouts/"+usd.ID+"/paid", v.SecretKey, map[string]any{"reason": "sent by PayPal"})).Map(t)
		if got["status"] != "paid" || got["paid_at"] == nil {
			t.Fatalf("paid = %v", got)
		}
		for _, id := range adaUSD {
			if st, amount := rewardStatus(t, e, v, id); st != "paid" || amount == 0 {
				t.Fatalf("reward %s: %s %d", id, st, amount)
			}
		}
		if st, _ := rewardStatus(t, e, v, bobEUR); st != "approved" {
			t.Fatalf("another batch's reward: %s", st)
		}
		mustError(t, tick(e).Do(t, "POST", "/v1/payouts/"+usd.ID+"/paid", v.SecretKey, nil), http.StatusConflict, attribution.ECONFLICT)
		checkAudit(t, lastAudit(t, e, v, "payout", usd.ID), "secret_key:sk_", "payout.paid", usd.ID, "sent by PayPal")
	})
}

// TestPayouts_Concurrent: concurrent runs never put a reward in two
// batches, and of concurrent "mark paid" calls exactly one wins.
func TestPayouts_Concurrent(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	var all []string
	for _, name := range []string{"a", "b", "c", "d"} {
		p := e.NewPartner(t, v, name, name+"@partner.example")
		for _, cur := range []string{"usd", "eur"} {
			all = append(all, manualReward(t, e, v, p.ID, 100, cur), manualReward(t, e, v, p.ID, 250, cur))
		}
	}
	const n = 6
	var wg sync.WaitGroup
	results := make([]*testenv.Response, n)
	for i := range n {
		wg.Go(func() { results[i] = e.Do(t, "POST", "/v1/payouts", v.SecretKey, nil) })
	}
	wg.Wait()
	var batched []string
	var batchIDs []string
	for _, r := range results {
		if r.StatusCode == http.StatusConflict {
			continue // the unique key refused a reward twice: allowed, never a duplicate
		}
		e.Must(t, http.StatusCreated, r)
		var l struct{ Data []payout }
		r.JSON(t, &l)
		for _, b := range l.Data {
			batchIDs = append(batchIDs, b.ID)
			for _, it := range b.Items {
				batched = append(batched, it.RewardIDs...)
			}
		}
	}
	slices.Sort(batched)
	slices.Sort(all)
	if !slices.Equal(batched, all) {
		t.Fatalf("batched %d rewards, want each of %d exactly once", len(batched), len(all))
	}
	if len(batchIDs) != 2 {
		t.Fatalf("%d batches, want one per currency", len(batchIDs))
	}

	codes := make([]int, n)
	for i := range n {
		wg.Go(func() { codes[i] = e.Do(t, "POST", "/v1/payouts/"+batchIDs[0]+"/paid", v.SecretKey, nil).StatusCode })
	}
	wg.Wait()
	won := 0
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			won++
		case http.StatusConflict:
		default:
			t.Fatalf("mark paid answered %d", c)
		}
	}
	if won != 1 {
		t.Fatalf("%d calls marked the batch paid, want exactly 1 (%v)", won, codes)
	}
	var audits struct{ Data []map[string]any }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit?object_type=payout&object_id="+batchIDs[0], v.SecretKey, nil)).JSON(t, &audits)
	paid := 0
	for _, a := range audits.Data {
		if a["action"] == "payout.paid" {
			paid++
		}
	}
	if paid != 1 {
		t.Fatalf("%d payout.paid audit entries", paid)
	}
}

// stripeEvent posts a signed Stripe event, live or test mode, and waits
// until it is applied.
func stripeEvent(t *testing.T, e *testenv.Env, vendorID, secret, id, typ string, live bool, obj map[string]any) {
	t.Helper()
	e.Clock.Advance(time.Millisecond)
	payload, _ := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "api_version": "2023-10-16",
		"created": e.Clock.Now().Unix(), "livemode": live, "pending_webhooks": 1,
		"data": map[string]any{"object": obj},
	})
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
	e.Must(t, http.StatusOK, e.Do(t, "POST", "/webhooks/stripe/"+vendorID, "", sp.Payload, "Stripe-Signature", sp.Header))
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := e.App.ApplyQueuedEventsOnce(t.Context()); err != nil {
			t.Fatalf("applying the queue: %v", err)
		}
		if n, err := e.App.Store.Payments.QueuedPaymentEvents(t.Context()); err != nil || n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("events still queued")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPayouts_RefundsTestModeAndExclusions: a refund after payout goes
// into the partner's next batch as a negative adjustment, so does one that
// came while the reward waited in a batch; test-mode and excluded
// purchases' rewards never enter a payout.
func TestPayouts_RefundsTestModeAndExclusions(t *testing.T) {
	t.Parallel()
	const secret = "whsec_payouts_test_0123456789"
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"stripe_webhook_secret": secret, "reward_rule": map[string]any{"type": "percent", "percent": 1000, "hold_days": 0},
	}))
	p := e.NewPartner(t, v, "Ada", "ada@partner.example")
	l := e.NewLink(t, v, p, "https://shop.example/")
	buy := func(t *testing.T, id string, live bool) string {
		t.Helper()
		tok := refOf(t, e.Must(t, http.StatusFound, e.Click(t, l.Key)))
		stripeEvent(t, e, v.ID, secret, "evt_"+id, "checkout.session.completed", live, map[string]any{
			"id": "cs_" + id, "object": "checkout.session", "mode": "payment", "payment_status": "paid", "status": "complete",
			"amount_total": 10000, "currency": "usd", "payment_intent": "pi_" + id, "client_reference_id": tok,
		})
		var rs struct{ Data []map[string]any }
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards?kind=purchase", v.SecretKey, nil)).JSON(t, &rs)
		return rs.Data[0]["id"].(string) // newest first
	}
	refund := func(t *testing.T, id string, refunded int64) {
		t.Helper()
		stripeEvent(t, e, v.ID, secret, "evt_refund_"+id, "charge.refunded", true, map[string]any{
			"id": "ch_" + id, "object": "charge", "amount": 10000, "amount_refunded": refunded, "currency": "usd", "payment_intent": "pi_" + id,
		})
	}
	purchaseOf := func(t *testing.T, rewardID string) string {
		t.Helper()
		return e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards/"+rewardID, v.SecretKey, nil)).Map(t)["purchase_id"].(string)
	}

	first := buy(t, "one", true)
	testMode := buy(t, "test", false)
	// Approved by hand, a test-mode reward is still never paid out.
	e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/rewards/"+testMode+"/approve", v.SecretKey, nil))
	excludedBuy := buy(t, "resold", true)
	e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/purchases/"+purchaseOf(t, excludedBuy)+"/exclude", v.SecretKey, map[string]any{"reason": "resale"}))
	// A reward by hand on the excluded purchase: approved, never paid out.
	onExcluded := manualReward(t, e, v, p.ID, 700, "usd", "purchase_id", purchaseOf(t, excludedBuy))

	if got := duePayouts(t, e, v); len(got) != 1 || got[0].Amount != 1000 || got[0].RewardCount != 1 {
		t.Fatalf("due = %+v", got)
	}
	b1 := createPayouts(t, e, v, nil)
	if len(b1) != 1 || !slices.Equal(b1[0].Items[0].RewardIDs, []string{first}) {
		t.Fatalf("first batch = %+v", b1)
	}
	e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/payouts/"+b1[0].ID+"/paid", v.SecretKey, nil))

	// Half of the first purchase refunded after its payout: -500 next time.
	refund(t, "one", 5000)
	second := buy(t, "two", true)
	// The second purchase's reward is batched, then refunded in full
	// before the batch is marked paid: the partner received 1000.
	b2 := createPayouts(t, e, v, nil)
	if len(b2) != 1 || b2[0].Amount != 1000-500 || b2[0].RewardCount != 2 {
		t.Fatalf("second batch = %+v", b2)
	}
	refund(t, "two", 10000)
	if st, _ := rewardStatus(t, e, v, second); st != "reversed" {
		t.Fatalf("refunded while batched: %s", st)
	}
	e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/payouts/"+b2[0].ID+"/paid", v.SecretKey, nil))
	if st, amount := rewardStatus(t, e, v, second); st != "paid" || amount != 1000 {
		t.Fatalf("paid with its batch: %s %d", st, amount)
	}

	// The next batch takes the 1000 back from new earnings: a total of
	// zero is not due, the next purchase makes it 1000.
	buy(t, "three", true)
	if got := duePayouts(t, e, v); len(got) != 0 {
		t.Fatalf("1000 earned, 1000 owed: due = %+v", got)
	}
	buy(t, "four", true)
	if got := duePayouts(t, e, v); len(got) != 1 || got[0].Amount != 1000 || got[0].RewardCount != 3 {
		t.Fatalf("due = %+v", got)
	}
	for _, id := range []string{testMode, onExcluded} {
		if st, _ := rewardStatus(t, e, v, id); st != "approved" {
			t.Fatalf("reward %s: %s", id, st)
		}
	}
}

// TestPayouts_Files: the PayPal and Wise files, every text cell
// neutralised, amounts in major units with the currency's decimals.
func TestPayouts_Files(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	ada := e.NewPartner(t, v, "=Ada", "ada@partner.example")
	bob := e.NewPartner(t, v, "Bob", "bob@partner.example")
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partner/me", bob.Token, map[string]any{
		"payout_method": map[string]any{"type": "wise", "name": "@Bob Builder", "iban": "GB82 WEST 1234 5698 7654 32", "bic": "WESTGB22", "currency": "gbp"},
	}))
	for _, cur := range []string{"usd", "jpy", "kwd"} {
		manualReward(t, e, v, ada.ID, 123456, cur)
		manualReward(t, e, v, bob.ID, 7, cur)
	}
	batches := map[string]payout{}
	for _, b := range createPayouts(t, e, v, nil) {
		batches[b.Currency] = b
	}
	read := func(t *testing.T, id, format string) [][]string {
		t.Helper()
		r := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/payouts/"+id+".csv?format="+format, v.SecretKey, nil))
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Fatalf("content type %q", ct)
		}
		rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	for cur, want := range map[string][2]string{"usd": {"1234.56", "0.07"}, "jpy": {"123456", "7"}, "kwd": {"123.456", "0.007"}} {
		b := batches[cur]
		pp := read(t, b.ID, "paypal")
		if len(pp) != 2 {
			t.Fatalf("%s paypal rows = %q", cur, pp)
		}
		byPartner := map[string][]string{pp[0][3]: pp[0], pp[1][3]: pp[1]}
		if r := byPartner[ada.ID]; r[0] != "ada@partner.example" || r[1] != want[0] || r[2] != strings.ToUpper(cur) || r[5] != "PAYPAL" {
			t.Errorf("%s paypal row for ada = %q", cur, r)
		}
		// No PayPal method: the partner's email.
		if r := byPartner[bob.ID]; r[0] != "bob@partner.example" || r[1] != want[1] {
			t.Errorf("%s paypal row for bob = %q", cur, r)
		}
		wise := read(t, b.ID, "wise")
		if len(wise) != 3 || wise[0][0] != "name" || wise[0][5] != "amount" || wise[0][8] != "IBAN" {
			t.Fatalf("%s wise rows = %q", cur, wise)
		}
		for _, r := range wise[1:] {
			switch r[1] {
			case "ada@partner.example":
				if r[0] != "'=Ada" || r[5] != want[0] || r[8] != "" {
					t.Errorf("%s wise row for ada = %q", cur, r)
				}
			case "bob@partner.example":
				if r[0] != "'@Bob Builder" || r[5] != want[1] || r[6] != strings.ToUpper(cur) || r[7] != "GBP" || r[8] != "GB82WEST12345698765432" || r[9] != "WESTGB22" {
					t.Errorf("%s wise row for bob = %q", cur, r)
				}
			default:
				t.Errorf("%s wise row = %q", cur, r)
			}
		}
	}
	mustError(t, e.Do(t, "GET", "/v1/payouts/"+batches["usd"].ID+".csv", v.SecretKey, nil), http.StatusBadRequest, attribution.EINVALID)
	mustError(t, e.Do(t, "GET", "/v1/payouts/"+batches["usd"].ID+".csv?format=xlsx", v.SecretKey, nil), http.StatusBadRequest, attribution.EINVALID)
	// The audit log keeps no IBAN.
	if body := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/audit?object_type=payout", v.SecretKey, nil)).Body; !strings.Contains(string(body), "payout.create") ||
		strings.Contains(string(body), "GB82WEST12345698765432") {
		t.Fatalf("payout audit = %s", body)
	}
	// The JSON answer masks the IBAN; the file has it whole.
	var got payout
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/payouts/"+batches["usd"].ID, v.SecretKey, nil)).JSON(t, &got)
	for _, it := range got.Items {
		if it.PartnerID == bob.ID && it.Partner.PayoutMethod["iban"] != "******************5432" {
			t.Fatalf("payout answer shows %v", it.Partner.PayoutMethod)
		}
	}
}

// TestPayouts_PartnerAPI: a partner sets its payout method and
// preferences, sees only its own payouts; the vendor sees the method masked.
func TestPayouts_PartnerAPI(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	ada := e.NewPartner(t, v, "Ada", "ada@partner.example")
	bob := e.NewPartner(t, v, "Bob", "bob@partner.example")

	me := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partner/me", ada.Token, nil)).Map(t)
	if me["payout_method"] != nil || me["notifications"].(map[string]any)["payout_sent"] != true || me["partner"].(map[string]any)["id"] != ada.ID {
		t.Fatalf("me = %v", me)
	}
	for name, body := range map[string]any{
		"BadIBAN":      map[string]any{"payout_method": map[string]any{"type": "wise", "name": "Ada", "iban": "DE88370400440532013000", "currency": "eur"}},
		"UnknownType":  map[string]any{"payout_method": map[string]any{"type": "venmo", "email": "a@b.example"}},
		"UnknownField": map[string]any{"payout_method": map[string]any{"type": "paypal", "email": "a@b.example", "phone": "1"}},
		"UnknownKind":  map[string]any{"notifications": map[string]any{"sign_in_link": false}},
		"PartnerField": map[string]any{"status": "active"},
	} {
		t.Run(name, func(t *testing.T) {
			mustError(t, e.Do(t, "PATCH", "/v1/partner/me", ada.Token, body), http.StatusBadRequest, attribution.EINVALID)
		})
	}
	got := e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/partner/me", ada.Token, map[string]any{
		"payout_method": map[string]any{"type": "wise", "name": "Ada Lovelace", "iban": "de89 3704 0044 0532 0130 00", "currency": "EUR"},
		"notifications": map[string]any{"new_reward": false},
	})).Map(t)
	method := got["payout_method"].(map[string]any)
	if method["iban"] != "DE89370400440532013000" || method["currency"] != "eur" {
		t.Fatalf("partner's own view = %v", method)
	}
	if n := got["notifications"].(map[string]any); n["new_reward"] != false || n["payout_sent"] != true {
		t.Fatalf("notifications = %v", n)
	}
	en := lastAudit(t, e, v, "partner", ada.ID)
	checkAudit(t, en, "partner:"+ada.ID, attribution.ActionPartnerSettings, ada.ID, "")
	if iban := en["after"].(map[string]any)["payout_method"].(map[string]any)["iban"]; iban != "******************3000" {
		t.Fatalf("audited IBAN = %v", iban)
	}
	vendorView := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partners/"+ada.ID, v.SecretKey, nil)).Map(t)
	if m := vendorView["payout_method"].(map[string]any); m["iban"] != "******************3000" || m["type"] != "wise" {
		t.Fatalf("vendor's view = %v", m)
	}
	if bobView := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partners/"+bob.ID, v.SecretKey, nil)).Map(t); bobView["payout_method"] != nil {
		t.Fatalf("bob has no method: %v", bobView)
	}
	// PayPal replaces Wise; null removes it.
	e.Must(t, http.StatusOK, tick(e).Do(t, "PATCH", "/v1/partner/me", ada.Token, map[string]any{"payout_method": map[string]any{"type": "paypal", "email": "Ada@Pay.example"}}))
	if m := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partner/me", ada.Token, nil)).Map(t)["payout_method"].(map[string]any); m["email"] != "ada@pay.example" || m["iban"] != nil {
		t.Fatalf("paypal = %v", m)
	}

	manualReward(t, e, v, ada.ID, 500, "usd")
	manualReward(t, e, v, bob.ID, 300, "usd")
	batch := createPayouts(t, e, v, nil)[0]
	pp := func(t *testing.T, token string) []map[string]any {
		t.Helper()
		var l struct{ Data []map[string]any }
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/partner/payouts", token, nil)).JSON(t, &l)
		return l.Data
	}
	if got := pp(t, ada.Token); len(got) != 1 || got[0]["id"] != batch.ID || got[0]["amount"] != 500.0 || got[0]["status"] != "pending" {
		t.Fatalf("ada's payouts = %v", got)
	}
	if got := pp(t, bob.Token); len(got) != 1 || got[0]["amount"] != 300.0 {
		t.Fatalf("bob's payouts = %v", got)
	}
	other := e.NewVendor(t, "Other")
	eve := e.NewPartner(t, other, "Eve", "eve@partner.example")
	if got := pp(t, eve.Token); len(got) != 0 {
		t.Fatalf("another vendor's partner sees %v", got)
	}
	mustError(t, e.Do(t, "GET", "/v1/payouts", ada.Token, nil), http.StatusUnauthorized, attribution.EUNAUTHORIZED)
	mustError(t, e.Do(t, "GET", "/v1/partner/payouts", v.SecretKey, nil), http.StatusUnauthorized, attribution.EUNAUTHORIZED)
	e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/payouts/"+batch.ID+"/paid", v.SecretKey, nil))
	if got := pp(t, ada.Token); got[0]["status"] != "paid" || got[0]["paid_at"] == nil {
		t.Fatalf("after paid = %v", got)
	}
}

// TestPayouts_PaidEmails: marking a batch paid emails each partner who
// wants it (through the outbox, over SMTP), and nobody who opted out.
func TestPayouts_PaidEmails(t *testing.T) {
	sink := testenv.NewSMTPSink(t)
	e := testenv.New(t, sink.Option())
	v := e.NewVendor(t, "Acme")
	ada := e.NewPartner(t, v, "Ada", "ada@partners.example")
	bob := e.NewPartner(t, v, "Bob", "bob@partners.example")
	manualReward(t, e, v, ada.ID, 1500, "usd")
	manualReward(t, e, v, bob.ID, 2500, "usd")
	// Bob turns the payout email off in the portal API.
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/partner/me", bob.Token, map[string]any{"notifications": map[string]any{"payout_sent": false}}))
	batches := createPayouts(t, e, v, nil)
	if len(batches) != 1 {
		t.Fatalf("batches = %+v", batches)
	}
	e.Must(t, http.StatusOK, tick(e).Do(t, "POST", "/v1/payouts/"+batches[0].ID+"/paid", v.SecretKey, nil))
	sink.Wait(t, 1)
	time.Sleep(300 * time.Millisecond) // time for a wrong second email to arrive
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d emails, want 1 (Ada only)", len(msgs))
	}
	m := msgs[0]
	if m.To == "" || !strings.Contains(m.To, "ada@partners.example") || m.From.Name != "Acme" ||
		!strings.Contains(m.Text, "15.00") || m.ListUnsubscribe == "" {
		t.Fatalf("email = to %q from %q, unsubscribe %q:\n%s", m.To, m.From.Name, m.ListUnsubscribe, m.Text)
	}
}
