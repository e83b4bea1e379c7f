package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// runSoak: redirects, pings, signups and webhooks together on one
// instance for cfg.soak; RSS sampled every 10 s.
func runSoak(cfg config) (string, bool) {
	const redirRate, pingRate, signupRate, hookRate = 400, 200, 20, 20
	logf("soak: %s of %d redirects/s, %d pings/s, %d signups/s, %d webhooks/s", cfg.soak, redirRate, pingRate, signupRate, hookRate)
	dbURL, db := freshDB(cfg, "tally_faults_soak")
	defer dropDB(cfg, "tally_faults_soak", db)
	a := startTally(cfg, "soak", cfg.port+2, dbURL, "TALLY_SNIPPET_RATE=100000", "TALLY_SNIPPET_BURST=100000")
	defer a.stop()
	s := seedShop(a.base, 100)
	_, ref, err := clickToken(a.base, s.keys[0])
	if err != nil || ref == "" {
		fatal("soak: no token: %v", err)
	}
	red, ping, signs, hooks := newStats(), newStats(), newStats(), newStats()
	var mu sync.Mutex
	bad := map[string]int{}
	var tokens int64
	expect := func(kind string, code int, ok bool, err error) {
		if !ok {
			mu.Lock()
			bad[fmt.Sprintf("%s %d %v", kind, code, err)]++
			mu.Unlock()
		}
	}
	type sample struct {
		at  time.Duration
		rss int64
	}
	var samples []sample
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(5)
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		samples = append(samples, sample{0, a.rssKiB()})
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				samples = append(samples, sample{time.Since(start).Round(time.Second), a.rssKiB()})
			}
		}
	}()
	go func() {
		defer wg.Done()
		pace(ctx, redirRate, cfg.soak, func(i int, at time.Time) {
			code, tok, err := clickToken(a.base, s.keys[i%len(s.keys)])
			red.add(code, err, at)
			expect("redirect", code, code == 302 && tok != "", err)
			if tok != "" {
				mu.Lock()
				tokens++
				mu.Unlock()
			}
		})
	}()
	go func() {
		defer wg.Done()
		pace(ctx, pingRate, cfg.soak, func(i int, at time.Time) {
			body := fmt.Sprintf(`{"public_key":%q,"url":"https://shop.example.com/p/%d?x=%d","ref_in_url":%v,"cookie_ok":true}`, s.publicKey, i%500, i, i%3 == 0)
			code, _, _, err := do("POST", a.base+"/v1/snippet/ping", "", []byte(body), "Content-Type", "text/plain")
			ping.add(code, err, at)
			expect("ping", code, code >= 200 && code < 300, err)
		})
	}()
	go func() {
		defer wg.Done()
		pace(ctx, signupRate, cfg.soak, func(i int, at time.Time) {
			ext := fmt.Sprintf("soak%d", i)
			code, _, _, err := do("POST", a.base+"/v1/signups", s.secretKey, []byte(fmt.Sprintf(`{"ref":%q,"email":"%s@example.com","external_id":%q}`, ref, ext, ext)))
			signs.add(code, err, at)
			expect("signup", code, code == 201, err)
		})
	}()
	go func() {
		defer wg.Done()
		pace(ctx, hookRate, cfg.soak, func(i int, at time.Time) {
			id := fmt.Sprintf("evt_soak_%d", i)
			payload := stripeEvent(id, "checkout.session.completed", checkout(fmt.Sprintf("cs_soak_%d", i), 5000, ref, fmt.Sprintf("buyer%d@example.com", i)))
			code, _, _, err := do("POST", a.base+"/webhooks/stripe/"+s.vendorID, "", payload, "Stripe-Signature", sign(payload, whsec, time.Now()))
			hooks.add(code, err, at)
			expect("webhook", code, code == 200, err)
		})
	}()
	// pace returns after its duration; stop the sampler then.
	go func() {
		time.Sleep(cfg.soak + 5*time.Second)
		cancel()
	}()
	wg.Wait()
	elapsed := time.Since(start)
	samples = append(samples, sample{elapsed.Round(time.Second), a.rssKiB()})
	time.Sleep(2 * time.Second)
	waitQueueEmpty(db)
	clicks := count(db, "SELECT count(*) FROM clicks") - 1 // the token click
	events := count(db, "SELECT count(*) FROM stripe_events WHERE vendor_id = $1", s.vendorID)
	customers := count(db, "SELECT count(*) FROM customers WHERE vendor_id = $1 AND external_id LIKE 'soak%'", s.vendorID)
	pings := count(db, "SELECT COALESCE(SUM(pings), 0) FROM snippet_pages WHERE vendor_id = $1", s.vendorID)

	// RSS: flat means the second half does not grow past the first half's peak by more than 20 %.
	var first, second, minR, maxR int64
	minR = 1 << 62
	for i, sm := range samples {
		minR, maxR = min(minR, sm.rss), max(maxR, sm.rss)
		if i < len(samples)/2 {
			first = max(first, sm.rss)
		} else {
			second = max(second, sm.rss)
		}
	}
	var rs []string
	for _, sm := range samples {
		rs = append(rs, fmt.Sprintf("%s %.1f", sm.at, float64(sm.rss)/1024))
	}
	var badList []string
	for k, n := range bad {
		badList = append(badList, fmt.Sprintf("%d × %s", n, k))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "### Mixed soak (%s)\n\nOne instance, together for %s: redirects %d/s over 100 links, snippet pings %d/s (500 pages), signups %d/s, Stripe checkouts %d/s (snippet rate limit raised: the generator is one IP). %s.\n\n",
		cfg.soak, elapsed.Round(time.Second), redirRate, pingRate, signupRate, hookRate, machine())
	sb.WriteString(statsHeader + "\n" + red.row("redirects") + "\n" + ping.row("pings") + "\n" + signs.row("signups") + "\n" + hooks.row("webhooks") + "\n")
	fmt.Fprintf(&sb, "\nRSS of tally (MiB), every 10 s: %s.\n\n", strings.Join(rs, " · "))
	cs := []check{
		{"no error (every redirect 302, ping 2xx, signup 201, webhook 200)", fmt.Sprintf("%d unexpected: %s", len(badList), strings.Join(badList, "; ")), len(badList) == 0},
		{"rows: clicks == 302s, customers == signups, events == webhooks, pings counted", fmt.Sprintf("clicks %d / 302s %d; customers %d / %d; events %d / %d; pings %d / %d",
			clicks, tokens, customers, signs.n(), events, hooks.n(), pings, ping.n()), clicks == tokens && customers == int64(signs.n()) && events == int64(hooks.n()) && pings == int64(ping.n())},
		{"RSS flat (second half's peak ≤ 1.2 × first half's)", fmt.Sprintf("first half peak %.1f MiB, second half peak %.1f MiB (min %.1f, max %.1f)", float64(first)/1024, float64(second)/1024, float64(minR)/1024, float64(maxR)/1024), second <= first*12/10},
	}
	tbl, ok := checksTable(cs)
	sb.WriteString(tbl)
	return sb.String(), ok
}
