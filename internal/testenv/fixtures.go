package testenv

import (
	"bytes"
	"net/http"
	"sync"
	"testing"
)

// Vendor is a vendor created through the admin API.
type Vendor struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	SecretKey string `json:"secret_key"`
	PublicKey string `json:"public_key"`
}

// Partner is a partner created through the vendor API.
type Partner struct {
	ID     string `json:"id"`
	Email  string `json:"email"`
	Status string `json:"status"`
	Token  string `json:"token"`
}

// Link is a link created through the vendor API.
type Link struct {
	ID        string `json:"id"`
	Key       string `json:"key"`
	URL       string `json:"url"`
	PartnerID string `json:"partner_id"`
	Status    string `json:"status"`
}

// NewVendor creates a vendor.
func (e *Env) NewVendor(tb testing.TB, name string) Vendor {
	tb.Helper()
	var v Vendor
	e.Must(tb, http.StatusCreated, e.Do(tb, "POST", "/admin/v1/vendors", AdminToken, map[string]string{"name": name})).JSON(tb, &v)
	return v
}

// NewPartner creates a partner of v.
func (e *Env) NewPartner(tb testing.TB, v Vendor, name, email string) Partner {
	tb.Helper()
	var p Partner
	e.Must(tb, http.StatusCreated, e.Do(tb, "POST", "/v1/partners", v.SecretKey, map[string]string{"name": name, "email": email})).JSON(tb, &p)
	return p
}

// NewLink creates a link of p to destination.
func (e *Env) NewLink(tb testing.TB, v Vendor, p Partner, destination string) Link {
	tb.Helper()
	var l Link
	e.Must(tb, http.StatusCreated, e.Do(tb, "POST", "/v1/links", v.SecretKey, map[string]any{"partner_id": p.ID, "destination_url": destination})).JSON(tb, &l)
	return l
}

// Click follows a referral link like a browser and returns the answer.
func (e *Env) Click(tb testing.TB, key string, headers ...string) *Response {
	tb.Helper()
	h := append([]string{"User-Agent", BrowserUA}, headers...)
	return e.Do(tb, "GET", "/r/"+key, "", nil, h...)
}

// BrowserUA is a desktop Chrome user agent.
const BrowserUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
