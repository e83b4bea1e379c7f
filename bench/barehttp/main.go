// Command barehttp is the benchmark's reference: a bare net/http handler that
// answers every GET /r/{key} with the same kind of 302 Tally sends — a
// Location and a tally_ref Set-Cookie of the lengths measured on a real
// Tally redirect — and does nothing else (no routing framework, no token,
// no database). bench/run.sh starts it beside Tally and drives both the same
// way, so the ratio of their throughputs is the cost of Tally's work.
package main

import (
	"crypto/rand"
	"encoding/base64"
	"flag"
	"log"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8091", "listen address (loopback only)")
	destination := flag.String("destination", "https://shop.example.com/pricing?plan=pro", "destination the Location starts with")
	locationLen := flag.Int("location-len", 420, "length of the Location header value")
	tokenLen := flag.Int("token-len", 300, "length of the cookie value")
	flag.Parse()

	token := randomToken(*tokenLen)
	loc := *destination + "&tally_ref="
	if n := *locationLen - len(loc); n > 0 {
		loc += randomToken(n)
	}
	maxAge := 90 * 24 * 3600
	cookie := (&http.Cookie{
		Name: "tally_ref", Value: token, Path: "/", MaxAge: maxAge,
		Expires: time.Now().Add(time.Duration(maxAge) * time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
	}).String()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /r/{key}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Set-Cookie", cookie)
		h.Set("Location", loc)
		w.WriteHeader(http.StatusFound)
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("barehttp listening on %s (Location %d bytes, cookie value %d bytes)", *addr, len(loc), len(token))
	log.Fatal(srv.ListenAndServe())
}

// randomToken returns n URL-safe characters.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	s := base64.RawURLEncoding.EncodeToString(b)
	return s[:n]
}
