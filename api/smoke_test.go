package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tally-dev/tally/internal/testenv"
)

func TestRedirect_Smoke(t *testing.T) {
	e := testenv.New(t)
	v := e.NewVendor(t, "Acme")
	p := e.NewPartner(t, v, "Ada", "ada@example.com")
	l := e.NewLink(t, v, p, "https://shop.example/pricing?plan=pro#top")
	r := e.Must(t, http.StatusFound, e.Click(t, l.Key))
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, "https://shop.example/pricing?plan=pro&tally_ref=") || !strings.HasSuffix(loc, "#top") {
		t.Fatalf("Location = %s", loc)
	}
	var n int
	if err := e.App.Store.DB().NewSelect().Table("clicks").ColumnExpr("count(*)").Scan(t.Context(), &n); err != nil || n != 1 {
		t.Fatalf("clicks = %d, %v", n, err)
	}
}
