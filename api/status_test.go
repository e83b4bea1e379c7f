package api_test

import (
	"net/http"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

func TestAdminStatus(t *testing.T) {
	t.Parallel()
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	for name, token := range map[string]string{"NoToken": "", "SecretKey": v.SecretKey, "PublicKey": v.PublicKey} {
		t.Run(name, func(t *testing.T) {
			mustError(t, e.Do(t, "GET", "/admin/v1/status", token, nil), http.StatusUnauthorized, "unauthorized")
		})
	}
	status := func() map[string]any {
		return e.Must(t, http.StatusOK, e.Do(t, "GET", "/admin/v1/status", testenv.AdminToken, nil)).Map(t)
	}
	if got := status(); got["webhook_queue"] != 0.0 || got["click_queue"] != 0.0 {
		t.Fatalf("idle status = %v", got)
	}
	// An event that cannot be applied stays queued: the status counts it.
	if _, err := e.App.Store.DB().ExecContext(t.Context(), "INSERT INTO stripe_events (vendor_id, id, type, outcome, payload, received_at) VALUES (?, ?, ?, ?, ?, ?)",
		v.ID, "evt_stuck", "invoice.paid", "queued", "{not json", e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if got := status(); got["webhook_queue"] != 1.0 {
		t.Fatalf("status with one stuck event = %v", got)
	}
}
