// Command barehttp is the benchmark's reference: a bare net/http handler that
// answers every GET /r/{key} with the same kind of 302 Tally sends — a
// Location and a tally_ref Set-Cookie of the lengths measured on a real
// Tally redirect — and does nothing else (no routing framework, no token,
// no database). bench/run.sh starts it beside Tally and drives both the same
// way, so the ratio of their throughputs is the cost of Tally's work.
//
// With -hold, it also holds each answer the way group commit does, with no
// database behind it: a request joins the gathering group, one goroutine
// releases a group hold after taking it, and the next group gathers
// meanwhile. bench/run.sh sets hold to the mean commit time Tally measured
// in the same run, which gives the CPU a server spends on waiting alone.
package main

import (
	"crypto/rand"
	"encoding/base64"
	"flag"
	"log"
	"net/http"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8091", "listen address (loopback only)")
	destination := flag.String("destination", "https://shop.example.com/pricing?plan=pro", "destination the Location starts with")
	locationLen := flag.Int("location-len", 420, "length of the Location header value")
	tokenLen := flag.Int("token-len", 300, "length of the cookie value")
	hold := flag.Duration("hold", 0, "hold each answer for a group commit of this length (0: answer at once)")
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
	var groups *groupHold
	if *hold > 0 {
		groups = newGroupHold(*hold)
	}
	mux.HandleFunc("GET /r/{key}", func(w http.ResponseWriter, r *http.Request) {
		if groups != nil {
			groups.wait()
		}
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Set-Cookie", cookie)
		h.Set("Location", loc)
		w.WriteHeader(http.StatusFound)
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("barehttp listening on %s (Location %d bytes, cookie value %d bytes, hold %s)", *addr, len(loc), len(token), *hold)
	log.Fatal(srv.ListenAndServe())
}

// groupHold releases waiting requests a group at a time, one group every
// hold at most: the shape of a click writer's group commit (one writer, the
// next batch gathering while one commits) at its cheapest, one channel
// closed per group.
type groupHold struct {
	hold      time.Duration
	mu        sync.Mutex
	gathering chan struct{} // closed when the group is released; nil: none gathering
	next      chan struct{} // a group is gathering
}

func newGroupHold(hold time.Duration) *groupHold {
	g := &groupHold{hold: hold, next: make(chan struct{}, 1)}
	go g.run()
	return g
}

// wait returns when the group the caller joined is released.
func (g *groupHold) wait() {
	g.mu.Lock()
	if g.gathering == nil {
		g.gathering = make(chan struct{})
		g.next <- struct{}{} // never blocks: one signal per group, taken before the next opens
	}
	released := g.gathering
	g.mu.Unlock()
	<-released
}

func (g *groupHold) run() {
	for range g.next {
		g.mu.Lock()
		group := g.gathering
		g.gathering = nil
		g.mu.Unlock()
		time.Sleep(g.hold)
		close(group)
	}
}

// randomToken returns n URL-safe characters.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	s := base64.RawURLEncoding.EncodeToString(b)
	return s[:n]
}
