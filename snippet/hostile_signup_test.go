package snippet_test

import (
	"net/http"
	"testing"
	"time"
)

// A partner holding only the public key (it is in every page's HTML) and a
// victim's email must not move the customer, rename it or give it an
// external id; the answer must not tell that the customer exists.
func TestSnippetSignup_NeverChangesExistingCustomer(t *testing.T) {
	f := setup(t)
	f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/signups", f.v.SecretKey, map[string]any{
		"ref": f.token(t, f.la), "email": "victim@example.com", "name": "Victim",
	}))
	before := f.customer(t, "email=victim@example.com")
	if before.PartnerID != f.pa.ID {
		t.Fatalf("setup: %+v", before)
	}

	f.Clock.Advance(time.Hour)
	attack := f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/snippet/signup", "", map[string]any{
		"public_key": f.v.PublicKey, "ref": f.token(t, f.lb), "email": "victim@example.com",
		"name": "Hacked", "external_id": "evil_1",
	}))
	// A brand-new visitor with a fresh token gets the very same answer.
	fresh := f.Must(t, http.StatusCreated, f.Do(t, "POST", "/v1/snippet/signup", "", map[string]any{
		"public_key": f.v.PublicKey, "ref": f.token(t, f.lb), "email": "newcomer@example.com",
		"name": "New", "external_id": "new_1",
	}))
	if string(attack.Body) != string(fresh.Body) {
		t.Fatalf("answers differ: existing %s, new %s", attack.Body, fresh.Body)
	}

	after := f.customer(t, "email=victim@example.com")
	if after.PartnerID != f.pa.ID || after.Name != "Victim" || after.ExternalID != "" || after.LinkID != before.LinkID {
		t.Fatalf("customer changed by the public snippet: before %+v, after %+v", before, after)
	}
	// The attempt is kept for the diagnosis.
	var attempts int
	if err := f.App.Store.DB().NewSelect().TableExpr("signups").
		Where("customer_id = ? AND outcome = 'attempt'", after.ID).ColumnExpr("COUNT(*)").Scan(t.Context(), &attempts); err != nil {
		t.Fatal(err)
	}
	if attempts != 1 {
		t.Fatalf("%d signup attempts kept, want 1", attempts)
	}

	// The vendor's own backend later signs the customer up with its id:
	// the same customer, not a duplicate created because of a planted id.
	f.Must(t, http.StatusOK, f.Do(t, "POST", "/v1/signups", f.v.SecretKey, map[string]any{
		"email": "victim@example.com", "external_id": "user_victim",
	}))
	if c := f.customer(t, "external_id=user_victim"); c.ID != before.ID {
		t.Fatalf("backend signup found %s, want %s", c.ID, before.ID)
	}
	if n := f.count(t, "customers"); n != 2 {
		t.Fatalf("%d customers, want 2 (victim, newcomer)", n)
	}
	// A newer click carried by the vendor's backend still re-attributes.
	f.Clock.Advance(time.Hour)
	f.Must(t, http.StatusOK, f.Do(t, "POST", "/v1/signups", f.v.SecretKey, map[string]any{
		"external_id": "user_victim", "ref": f.token(t, f.lb),
	}))
	if c := f.customer(t, "external_id=user_victim"); c.PartnerID != f.pb.ID {
		t.Fatalf("backend re-attribution: %+v, want partner B", c)
	}
}
