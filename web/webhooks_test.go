package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tally-dev/tally/app"
	"github.com/tally-dev/tally/internal/testenv"
)

// hookReceiver is a webhook endpoint that answers the queued statuses, then
// 200.
type hookReceiver struct {
	*httptest.Server
	mu      sync.Mutex
	answers []int
}

func newHookReceiver(t *testing.T, answers ...int) *hookReceiver {
	r := &hookReceiver{answers: answers}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		r.mu.Lock()
		status := http.StatusOK
		if len(r.answers) > 0 {
			status, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprintf(w, "answer %d", status)
	}))
	t.Cleanup(r.Close)
	return r
}

type endpointState struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Status string   `json:"status"`
	Reason string   `json:"disabled_reason"`
	Events []string `json:"events"`
}

func endpointsOf(t *testing.T, e *testenv.Env, v testenv.Vendor) []endpointState {
	t.Helper()
	var l struct{ Data []endpointState }
	e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/webhook_endpoints", v.SecretKey, nil)).JSON(t, &l)
	return l.Data
}

type deliveryState struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Attempts []struct {
		StatusCode int `json:"status_code"`
	} `json:"attempts"`
}

// waitDelivery waits until the endpoint's one delivery has n attempts and
// status (a list reads deliveries and their attempts apart, so an attempt
// may show before its delivery's new status).
func waitDelivery(t *testing.T, e *testenv.Env, v testenv.Vendor, endpointID string, n int, status string) deliveryState {
	t.Helper()
	var l struct{ Data []deliveryState }
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		e.Must(t, http.StatusOK, e.Do(t, "GET", "/v1/webhook_endpoints/"+endpointID+"/deliveries", v.SecretKey, nil)).JSON(t, &l)
		if len(l.Data) == 1 && len(l.Data[0].Attempts) == n && l.Data[0].Status == status {
			return l.Data[0]
		}
	}
	t.Fatalf("no %s delivery with %d attempts: %+v", status, n, l.Data)
	return deliveryState{}
}

func TestWebhookEndpointsSettings(t *testing.T) {
	e := testenv.New(t, func(c *app.Config) { c.CheckAllowPrivate = true })
	v, b := owner(t, e, "Acme", "ada@acme.example")
	admin := "ada@acme.example"
	settings := "/dashboard/settings"
	rcv := newHookReceiver(t, http.StatusInternalServerError)

	t.Run("EmptyAndRefused", func(t *testing.T) {
		got := text(b.Get(t, settings).Must(t, http.StatusOK))
		for _, want := range []string{"Webhook endpoints", "No endpoint yet", "Endpoint URL", "partner.created", "Description", "Add endpoint"} {
			if !strings.Contains(got, want) {
				t.Errorf("Settings lack %q:\n%s", want, got)
			}
		}
		p := act(t, b, settings, settings+"/webhooks", url.Values{"url": {"ftp://example.com/hook"}, "events": {"*"}, "description": {"typed"}}).
			Must(t, http.StatusBadRequest)
		if !strings.Contains(p.Body, `value="ftp://example.com/hook"`) || !strings.Contains(p.Body, `value="typed"`) {
			t.Errorf("a refused endpoint's form is not shown as typed:\n%s", p.Body)
		}
		act(t, b, settings, settings+"/webhooks", url.Values{"url": {rcv.URL}}).Must(t, http.StatusBadRequest) // no event
		act(t, b, settings, settings+"/webhooks", url.Values{"url": {rcv.URL}, "events": {"user.deleted"}}).Must(t, http.StatusBadRequest)
		if l := endpointsOf(t, e, v); len(l) != 0 {
			t.Fatalf("refused forms created endpoints: %+v", l)
		}
	})

	var ep endpointState
	var page string
	t.Run("Add", func(t *testing.T) {
		p := act(t, b, settings, settings+"/webhooks", url.Values{"url": {rcv.URL + "/tally"}, "events": {"partner.created", "reward.created"}, "description": {"CRM sync"}}).
			Must(t, http.StatusOK)
		if !strings.Contains(p.Body, `id="webhook-secret">whsec_`) || !strings.Contains(text(p), "shown only this once") {
			t.Errorf("the new endpoint's secret is not shown:\n%s", text(p))
		}
		l := endpointsOf(t, e, v)
		if len(l) != 1 || l[0].URL != rcv.URL+"/tally" || strings.Join(l[0].Events, ",") != "partner.created,reward.created" {
			t.Fatalf("endpoints: %+v", l)
		}
		ep, page = l[0], settings+"/webhooks/"+l[0].ID
		mustAudit(t, e, v, "webhook_endpoint.create", admin, ep.ID)
		if again := b.Get(t, page).Must(t, http.StatusOK); strings.Contains(again.Body, "whsec_") {
			t.Error("the secret is shown again")
		}
		got := text(b.Get(t, settings).Must(t, http.StatusOK))
		if !strings.Contains(got, rcv.URL+"/tally") || !strings.Contains(got, "CRM sync") || !strings.Contains(got, "Enabled") {
			t.Errorf("Settings do not list the endpoint:\n%s", got)
		}
	})

	t.Run("FailingDeliveryAndRetry", func(t *testing.T) {
		e.NewPartner(t, v, "Grace", "grace@partners.example")
		d := waitDelivery(t, e, v, ep.ID, 1, "pending")
		got := text(b.Get(t, page).Must(t, http.StatusOK))
		for _, want := range []string{"partner.created", "Pending", "500", "answer 500", "ms", "Retry", "Failing", "failing since"} {
			if !strings.Contains(got, want) {
				t.Errorf("the endpoint's page lacks %q:\n%s", want, got)
			}
		}
		if got := text(b.Get(t, "/dashboard").Must(t, http.StatusOK)); !strings.Contains(got, "1 failing webhook endpoint") {
			t.Errorf("the overview's tasks lack the failing endpoint:\n%s", got)
		}
		if got := text(b.Get(t, settings).Must(t, http.StatusOK)); !strings.Contains(got, "Failing") {
			t.Errorf("Settings do not mark the endpoint failing:\n%s", got)
		}
		act(t, b, page, page+"/deliveries/"+d.ID+"/retry", url.Values{"back": {page + "?status=pending"}}).Must(t, http.StatusSeeOther)
		mustAudit(t, e, v, "webhook_delivery.retry", admin, "")
		if d := waitDelivery(t, e, v, ep.ID, 2, "succeeded"); d.Attempts[1].StatusCode != 200 {
			t.Errorf("the retried delivery: %+v", d)
		}
		if got := text(b.Get(t, "/dashboard").Must(t, http.StatusOK)); strings.Contains(got, "failing webhook endpoint") {
			t.Errorf("a delivered endpoint is still a task:\n%s", got)
		}
		act(t, b, page, page+"/deliveries/whd_nothing/retry", nil).Must(t, http.StatusNotFound)
		b.Get(t, page+"?status=lost").Must(t, http.StatusBadRequest)
	})

	t.Run("RotateDisableEnable", func(t *testing.T) {
		p := act(t, b, page, page+"/rotate", nil).Must(t, http.StatusOK)
		if !strings.Contains(p.Body, `id="webhook-secret">whsec_`) || !strings.Contains(text(p), "previous secret still signs") {
			t.Errorf("the rotated secret is not shown:\n%s", text(p))
		}
		mustAudit(t, e, v, "webhook_endpoint.rotate_secret", admin, ep.ID)
		act(t, b, page, page+"/status", url.Values{"status": {"disabled"}}).Must(t, http.StatusSeeOther)
		if l := endpointsOf(t, e, v); l[0].Status != "disabled" || l[0].Reason != "manual" {
			t.Errorf("disabled endpoint: %+v", l[0])
		}
		if got := text(b.Get(t, page).Must(t, http.StatusOK)); !strings.Contains(got, "Disabled (by hand)") || !strings.Contains(got, "Enable") {
			t.Errorf("a disabled endpoint's page:\n%s", got)
		}
		if got := text(b.Get(t, "/dashboard").Must(t, http.StatusOK)); strings.Contains(got, "failing webhook endpoint") {
			t.Errorf("an endpoint disabled by hand is a task:\n%s", got)
		}
		act(t, b, page, page+"/status", url.Values{"status": {"broken"}}).Must(t, http.StatusBadRequest)
		act(t, b, page, page+"/status", url.Values{"status": {"enabled"}}).Must(t, http.StatusSeeOther)
		if l := endpointsOf(t, e, v); l[0].Status != "enabled" {
			t.Errorf("enabled endpoint: %+v", l[0])
		}
	})

	t.Run("Viewer", func(t *testing.T) {
		vb := viewer(t, e, vendorOf(t, e, b), "vic@acme.example")
		s := vb.Get(t, settings).Must(t, http.StatusOK)
		noChangeButtons(t, s)
		if strings.Contains(s.Body, "Add endpoint") || !strings.Contains(s.Body, rcv.URL+"/tally") {
			t.Errorf("the viewer's Settings:\n%s", text(s))
		}
		one := vb.Get(t, page).Must(t, http.StatusOK)
		noChangeButtons(t, one)
		for _, path := range []string{page + "/rotate", page + "/delete", page + "/status"} {
			vb.Post(t, path, url.Values{"csrf_token": {one.CSRF(t)}, "status": {"disabled"}}).Must(t, http.StatusForbidden)
		}
		if l := endpointsOf(t, e, v); len(l) != 1 || l[0].Status != "enabled" {
			t.Errorf("a viewer's refused changes changed the endpoint: %+v", l)
		}
	})

	t.Run("OtherVendor", func(t *testing.T) {
		_, ob := owner(t, e, "Other", "olga@other.example")
		ob.Get(t, page).Must(t, http.StatusNotFound)
		ob.Get(t, page+"/delete").Must(t, http.StatusNotFound)
		act(t, ob, "/dashboard/settings", page+"/delete", nil).Must(t, http.StatusNotFound)
		if len(endpointsOf(t, e, v)) != 1 {
			t.Error("another vendor deleted the endpoint")
		}
	})

	t.Run("Delete", func(t *testing.T) {
		got := text(b.Get(t, page+"/delete").Must(t, http.StatusOK))
		if !strings.Contains(got, "Delete "+rcv.URL+"/tally") || !strings.Contains(got, "Cancel") {
			t.Errorf("the confirmation:\n%s", got)
		}
		p := act(t, b, page+"/delete", page+"/delete", nil).Must(t, http.StatusSeeOther)
		if p.Location() != "/dashboard/settings" || !strings.HasSuffix(p.Header.Get("Location"), "#webhooks") {
			t.Errorf("after deleting: %q", p.Location())
		}
		mustAudit(t, e, v, "webhook_endpoint.delete", admin, ep.ID)
		if len(endpointsOf(t, e, v)) != 0 {
			t.Error("the endpoint is still there")
		}
		b.Get(t, page).Must(t, http.StatusNotFound)
	})
}
