// Browser tests of the record pages: customers, purchases, rewards, the
// audit log, settings and tracking gaps, each checked with axe-core and at
// 375 px; a customer credited to a partner by hand, rewards approved,
// declined with a reason and marked paid, and each action found in the
// audit log under the user's email.
package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tally-dev/tally/internal/testenv"
)

// within returns the element sel (CSS) finds, to scope byName to it: the
// row of one reward has its own "Reason" fields and buttons.
func (tb *tab) within(t *testing.T, sel string) *chromedp.Node {
	t.Helper()
	nodes, err := chromedp.Run(tb.ctx, chromedp.Nodes(chromedp.CSS(sel)))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("find %s: %v", sel, err)
	}
	return nodes[0]
}

// fillIn types value into the text field named name inside node.
func (tb *tab) fillIn(t *testing.T, node *chromedp.Node, name, value string) {
	t.Helper()
	tb.do(t, "fill "+name, chromedp.SendKeys("field "+name, value, byName("textbox", name), chromedp.FromNode(node), chromedp.NodeVisible))
}

// submitIn presses the button named name inside node and waits for path.
func (tb *tab) submitIn(t *testing.T, node *chromedp.Node, name, path string) {
	t.Helper()
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.__old = true`)); err != nil {
		t.Fatalf("mark the page: %v", err)
	}
	tb.do(t, "press "+name, chromedp.Click("button "+name, byName("button", name), chromedp.FromNode(node), chromedp.NodeVisible))
	tb.waitPath(t, path)
}

// openChecked loads a dashboard page and checks it: axe-core, 375 px.
func (tb *tab) openChecked(t *testing.T, e *testenv.Env, path string) {
	t.Helper()
	tb.open(t, e, path)
	tb.axeCheck(t, path)
	tb.fitsWidth(t, 375)
}

func TestBrowserRecordPages(t *testing.T) {
	tb := newTab(t)
	e := testenv.New(t)
	var v struct {
		testenv.Vendor
		OwnerSetupURL string `json:"owner_setup_url"`
	}
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken, map[string]string{
		"name": "Acme Rockets", "domain": "acme.example", "owner_email": "ada@acme.example"})).JSON(t, &v)
	e.Must(t, http.StatusOK, e.Do(t, "PATCH", "/v1/vendor", v.SecretKey, map[string]any{
		"reward_rule": map[string]any{"type": "flat", "amount": 500, "currency": "usd", "hold_days": 30}}))
	grace := e.NewPartner(t, v.Vendor, "Grace", "grace@partners.example")
	var rewards []string
	for i := range 3 {
		cust := e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/customers", v.SecretKey, map[string]any{
			"email": fmt.Sprintf("c%d@customers.example", i), "partner_id": grace.ID, "reason": "seed"})).Map(t)
		var p struct{ Rewards []struct{ ID string } }
		e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/purchases", v.SecretKey, map[string]any{
			"customer_id": cust["id"], "amount": 4900, "currency": "usd", "reason": "seed"})).JSON(t, &p)
		rewards = append(rewards, p.Rewards[0].ID)
	}
	var lost struct {
		Customer struct{ ID string } `json:"customer"`
	}
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{"email": "lost@customers.example"})).JSON(t, &lost)

	tb.do(t, "open the owner's setup link", chromedp.Navigate(v.OwnerSetupURL))
	tb.fill(t, "Password", "correct horse battery")
	tb.submit(t, "Set password", "/dashboard")

	// Credit the unattributed customer to Grace by hand.
	tb.openChecked(t, e, "/dashboard/customers")
	if got := tb.text(t); !strings.Contains(got, "lost@customers.example") || !strings.Contains(got, "Unattributed") {
		t.Fatalf("the customer list:\n%s", got)
	}
	customerPage := "/dashboard/customers/" + lost.Customer.ID
	tb.do(t, "open the customer", chromedp.Click("link", byName("link", "lost@customers.example"), chromedp.NodeVisible))
	tb.waitPath(t, customerPage)
	tb.axeCheck(t, customerPage)
	tb.fitsWidth(t, 375)
	tb.do(t, "choose the partner", chromedp.SetValue("select Partner", grace.ID, byName("combobox", "Partner"), chromedp.NodeVisible))
	tb.fill(t, "Reason", "Told us at the demo")
	tb.submit(t, "Credit partner", customerPage)
	if got := tb.text(t); !strings.Contains(got, "Grace (manual)") {
		t.Fatalf("after the credit:\n%s", got)
	}

	// Approve one reward, decline another with a reason, mark the first paid.
	row := func(id, action string) *chromedp.Node {
		return tb.within(t, fmt.Sprintf(`tr:has(#rw-%s) form[action$="/%s"]`, id, action))
	}
	tb.openChecked(t, e, "/dashboard/rewards")
	approve := row(rewards[0], "approve")
	tb.fillIn(t, approve, "Reason", "Order checked")
	tb.submitIn(t, approve, "Approve", "/dashboard/rewards")
	decline := row(rewards[1], "decline")
	tb.fillIn(t, decline, "Reason", "Customer refunded by hand")
	tb.submitIn(t, decline, "Decline", "/dashboard/rewards")
	pay := row(rewards[0], "pay")
	tb.fillIn(t, pay, "Reason", "Paid by PayPal")
	tb.submitIn(t, pay, "Mark paid", "/dashboard/rewards")
	// The third by the bulk form: its checkbox is named by its row.
	tb.do(t, "select the third reward", chromedp.Click("checkbox", byName("checkbox", ""), chromedp.FromNode(tb.within(t, fmt.Sprintf(`tr:has(#rw-%s)`, rewards[2]))), chromedp.NodeVisible))
	bulk := tb.within(t, "#bulk")
	tb.fillIn(t, bulk, "Reason", "Month-end review")
	tb.submitIn(t, bulk, "Approve selected", "/dashboard/rewards")
	tb.axeCheck(t, "/dashboard/rewards after the actions")
	for i, want := range []string{"paid", "declined", "approved"} {
		var r struct{ Status, Reason string }
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/rewards/"+rewards[i], v.SecretKey, nil)).JSON(t, &r)
		if r.Status != want {
			t.Errorf("reward %d is %s, want %s", i, r.Status, want)
		}
	}

	// Each action is in the audit log under the user's email.
	tb.openChecked(t, e, "/dashboard/audit?actor=ada%40acme.example")
	got := tb.text(t)
	for _, want := range []string{"customer.reassign", "Told us at the demo", "reward.approve", "Order checked", "reward.decline",
		"Customer refunded by hand", "reward.pay", "Paid by PayPal", "Month-end review"} {
		if !strings.Contains(got, want) {
			t.Errorf("the audit log lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "by ada@acme.example"); n != 5 {
		t.Errorf("%d entries by ada@acme.example, want 5:\n%s", n, got)
	}

	tb.noErrors(t)
}

// TestBrowserRecordPagesChecked opens the other record pages with data,
// as an admin, through axe-core and at 375 px, and rotates the secret key.
func TestBrowserRecordPagesChecked(t *testing.T) {
	tb := newTab(t)
	e := testenv.New(t)
	var v struct {
		testenv.Vendor
		OwnerSetupURL string `json:"owner_setup_url"`
	}
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/admin/v1/vendors", testenv.AdminToken, map[string]string{
		"name": "Acme Rockets", "domain": "acme.example", "owner_email": "ada@acme.example"})).JSON(t, &v)
	seed(t, e, v.Vendor)
	e.Must(t, http.StatusCreated, e.Do(t, "POST", "/v1/signups", v.SecretKey, map[string]any{"email": "lost@customers.example"}))

	tb.do(t, "open the owner's setup link", chromedp.Navigate(v.OwnerSetupURL))
	tb.fill(t, "Password", "correct horse battery")
	tb.submit(t, "Set password", "/dashboard")
	for _, path := range []string{"/dashboard/purchases", "/dashboard/settings", "/dashboard/gaps"} {
		tb.openChecked(t, e, path)
	}
	if got := tb.text(t); !strings.Contains(got, "Signed up without a click token.") || !strings.Contains(got, v.PublicKey) {
		t.Errorf("the gaps page:\n%s", got)
	}
	tb.openChecked(t, e, "/dashboard/settings")
	tb.submit(t, "Rotate secret key", "/dashboard/settings/keys/rotate")
	if got := tb.text(t); !strings.Contains(got, "Your new secret key.") {
		t.Errorf("after rotating the key:\n%s", got)
	}
	tb.axeCheck(t, "/dashboard/settings with a new secret key")
	tb.noErrors(t)
}
