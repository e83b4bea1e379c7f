package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

type rewardState struct {
	Status   string `json:"status"`
	Reason   string `json:"reason"`
	Livemode bool   `json:"livemode"`
}

func rewardOf(t *testing.T, e *testenv.Env, v testenv.Vendor, id string) rewardState {
	t.Helper()
	var r rewardState
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards/"+id, v.SecretKey, nil)).JSON(t, &r)
	return r
}

func TestRewardsPage(t *testing.T) {
	e := testenv.New(t)
	v, b := owner(t, e, "Acme", "ada@acme.example")

	t.Run("EmptyState", func(t *testing.T) {
		got := text(b.Get(t, "/dashboard/rewards").Must(t, http.StatusOK))
		if !strings.Contains(got, "No rewards yet") || !strings.Contains(got, "reward rule") {
			t.Errorf("the empty reward list does not say what to do:\n%s", got)
		}
	})

	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"reward_rule": map[string]any{"type": "flat", "amount": 500, "currency": "usd", "hold_days": 30}}))
	grace := e.NewPartner(t, v, "Grace", "grace@partners.example")
	var rw [4]string
	for i := range rw {
		cust := creditedCustomer(t, e, v, grace.ID, string(rune('a'+i))+"@customers.example")
		_, rw[i] = purchase(t, e, v, cust, 10000, "usd")
	}
	page := "/dashboard/rewards"
	admin := "ada@acme.example"

	t.Run("RowActions", func(t *testing.T) {
		got := text(b.Get(t, page).Must(t, http.StatusOK))
		for _, want := range []string{"USD 5.00 to Grace", "Pending", "Approve", "Decline", "Reason", "Approve selected", "Create reward"} {
			if !strings.Contains(got, want) {
				t.Errorf("the list lacks %q:\n%s", want, got)
			}
		}
		act(t, b, page, page+"/"+rw[0]+"/approve", url.Values{"reason": {"Checked the order"}}).Must(t, http.StatusSeeOther)
		if a := mustAudit(t, e, v, "reward.approve", admin, rw[0]); a.Reason != "Checked the order" {
			t.Errorf("approve audit reason %q", a.Reason)
		}
		refused := act(t, b, page, page+"/"+rw[1]+"/decline", url.Values{"reason": {""}}).Must(t, http.StatusBadRequest)
		if !strings.Contains(refused.Body, "reason is required") {
			t.Errorf("a decline without reason:\n%s", refused.Body)
		}
		if r := rewardOf(t, e, v, rw[1]); r.Status != "pending" {
			t.Fatalf("a refused decline changed the reward: %+v", r)
		}
		act(t, b, page, page+"/"+rw[1]+"/decline", url.Values{"reason": {"Refund requested"}}).Must(t, http.StatusSeeOther)
		if r := rewardOf(t, e, v, rw[1]); r.Status != "declined" || r.Reason != "Refund requested" {
			t.Errorf("declined reward: %+v", r)
		}
		mustAudit(t, e, v, "reward.decline", admin, rw[1])
		act(t, b, page, page+"/"+rw[0]+"/pay", url.Values{"reason": {"Paid by PayPal"}}).Must(t, http.StatusSeeOther)
		if r := rewardOf(t, e, v, rw[0]); r.Status != "paid" {
			t.Errorf("paid reward: %+v", r)
		}
		mustAudit(t, e, v, "reward.pay", admin, rw[0])
		act(t, b, page, page+"/"+rw[0]+"/pay", nil).Must(t, http.StatusConflict)
		act(t, b, page, page+"/"+rw[0]+"/refund", nil).Must(t, http.StatusNotFound)
	})

	t.Run("Bulk", func(t *testing.T) {
		both := url.Values{"reward_id": {rw[2], rw[3]}}
		f := url.Values{"action": {"decline"}, "reason": {""}, "reward_id": both["reward_id"]}
		act(t, b, page, page+"/bulk", f).Must(t, http.StatusBadRequest)
		if rewardOf(t, e, v, rw[2]).Status != "pending" || rewardOf(t, e, v, rw[3]).Status != "pending" {
			t.Fatal("a refused bulk decline changed rewards")
		}
		act(t, b, page, page+"/bulk", url.Values{"action": {"approve"}}).Must(t, http.StatusBadRequest) // none selected
		act(t, b, page, page+"/bulk", url.Values{"action": {"approve"}, "reason": {"Month-end review"}, "reward_id": both["reward_id"]}).
			Must(t, http.StatusSeeOther)
		approvals := audited(t, e, v, "reward.approve")
		if len(approvals) != 3 || approvals[0].Actor != admin || approvals[0].Reason != "Month-end review" || approvals[1].Reason != "Month-end review" {
			t.Errorf("bulk approvals audited: %+v", approvals)
		}
		// One of three cannot be paid: the others are, and the page names it.
		partial := act(t, b, page, page+"/bulk", url.Values{"action": {"pay"}, "reward_id": {rw[2], rw[1], rw[3]}}).
			Must(t, http.StatusConflict)
		if !strings.Contains(partial.Body, "2 of 3 rewards changed") || !strings.Contains(partial.Body, rw[1]) {
			t.Errorf("a partly refused bulk action:\n%s", partial.Body)
		}
		if rewardOf(t, e, v, rw[2]).Status != "paid" || rewardOf(t, e, v, rw[3]).Status != "paid" || rewardOf(t, e, v, rw[1]).Status != "declined" {
			t.Error("the bulk payment did not pay exactly the payable rewards")
		}
	})

	t.Run("NewReward", func(t *testing.T) {
		act(t, b, page, page, url.Values{"partner_id": {grace.ID}, "amount": {"25"}, "currency": {"eur"}, "reason": {""}}).
			Must(t, http.StatusBadRequest)
		act(t, b, page, page, url.Values{"partner_id": {grace.ID}, "amount": {"25"}, "currency": {"eur"}, "reason": {"Conference bonus"}}).
			Must(t, http.StatusSeeOther)
		a := mustAudit(t, e, v, "reward.create", admin, "")
		if a.Reason != "Conference bonus" {
			t.Errorf("reward.create reason %q", a.Reason)
		}
		if got := text(b.Get(t, page+"?status=approved").Must(t, http.StatusOK)); !strings.Contains(got, "EUR 25.00 to Grace") || strings.Contains(got, "USD 5.00") {
			t.Errorf("approved rewards:\n%s", got)
		}
	})

	t.Run("TestMode", func(t *testing.T) {
		creditedCustomer(t, e, v, grace.ID, "tester@customers.example")
		testModeReward(t, e, v, vendorOf(t, e, b), "tester@customers.example")
		var list struct {
			Data []struct {
				ID       string
				Livemode bool
			}
		}
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards?status=pending", v.SecretKey, nil)).JSON(t, &list)
		if len(list.Data) != 1 || list.Data[0].Livemode {
			t.Fatalf("pending rewards: %+v", list.Data)
		}
		test := list.Data[0].ID
		act(t, b, page, page+"/"+test+"/approve", nil).Must(t, http.StatusSeeOther)
		row := b.Get(t, page+"?status=approved").Must(t, http.StatusOK).Body
		if !strings.Contains(row, `<span class="badge">test</span>`) {
			t.Error("a test-mode reward is not marked test")
		}
		if strings.Contains(row, "/dashboard/rewards/"+test+"/pay") {
			t.Error("a test-mode reward offers Mark paid")
		}
		act(t, b, page, page+"/"+test+"/pay", nil).Must(t, http.StatusConflict)
	})

	t.Run("CSV", func(t *testing.T) {
		csv := b.Get(t, "/dashboard/rewards.csv?status=paid").Must(t, http.StatusOK)
		api := e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards.csv?status=paid", v.SecretKey, nil))
		if csv.Body != string(api.Body) || strings.Count(csv.Body, "\n") != 4 || !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") {
			t.Errorf("the paid rewards' CSV:\n%s\n---\n%s", csv.Body, api.Body)
		}
		b.Get(t, "/dashboard/rewards.csv?status=lost").Must(t, http.StatusBadRequest)
	})

	t.Run("Viewer", func(t *testing.T) {
		vb := viewer(t, e, vendorOf(t, e, b), "vic@acme.example")
		p := vb.Get(t, page).Must(t, http.StatusOK)
		noChangeButtons(t, p)
		if got := text(p); strings.Contains(p.Body, ">Approve</button>") || strings.Contains(got, "Create reward") || !strings.Contains(got, "Grace") {
			t.Errorf("a viewer's rewards:\n%s", got)
		}
		vb.Post(t, page+"/bulk", url.Values{"csrf_token": {p.CSRF(t)}, "action": {"approve"}, "reward_id": {rw[2]}}).Must(t, http.StatusForbidden)
	})
	t.Run("CSRF", func(t *testing.T) {
		before := len(audited(t, e, v, "reward.create"))
		b.Post(t, page, url.Values{"partner_id": {grace.ID}, "amount": {"1"}, "currency": {"usd"}, "reason": {"x"}}).Must(t, http.StatusForbidden)
		if len(audited(t, e, v, "reward.create")) != before {
			t.Error("a forged form created a reward")
		}
	})
}
