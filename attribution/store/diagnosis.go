package store

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

var _ attribution.DiagnosisService = (*Store)(nil)

// diagLookback is how far before the window the diagnosis looks for clicks
// of the same visitor, to name a click that came too early.
const diagLookback = 90 * 24 * time.Hour

// diagMaxRows bounds each list a diagnosis reads.
const diagMaxRows = 200

// DiagnosisFacts gathers what bears on one customer's attribution: the
// customer, its signups, purchases, rewards and overrides, the clicks its
// tokens and visitor facts lead to, unmatched Stripe purchases with its
// email, and the vendor's snippet pings. Reads only; no transaction needed.
func (s *Store) DiagnosisFacts(ctx context.Context, v *attribution.Vendor, q attribution.DiagnosisQuery) (*attribution.DiagnosisFacts, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	f := &attribution.DiagnosisFacts{Now: s.now(), Window: v.Window(), PublicKey: v.PublicKey, Partners: map[string]*attribution.Partner{}}
	db := s.db
	c, err := diagCustomer(ctx, db, v.ID, q)
	if err != nil {
		return nil, err
	}
	f.Customer = c
	f.Email = q.Email
	if c != nil && c.Email != "" {
		f.Email = c.Email
	}
	if f.Email != "" {
		err := db.NewSelect().Model(&f.Unmatched).
			Where("vendor_id = ? AND customer_id = '' AND email = ?", v.ID, f.Email).
			OrderExpr("purchased_at ASC, id ASC").Limit(diagMaxRows).Scan(ctx)
		if err != nil {
			return nil, classify(err)
		}
	}
	if c == nil {
		if len(f.Unmatched) == 0 {
			return nil, notFound("Customer")
		}
		return f, nil
	}
	// The newest rows matter most: read them newest first, list them oldest first.
	if err := db.NewSelect().Model(&f.Signups).Where("vendor_id = ? AND customer_id = ?", v.ID, c.ID).
		OrderExpr("created_at DESC, id DESC").Limit(diagMaxRows).Scan(ctx); err != nil {
		return nil, classify(err)
	}
	slices.Reverse(f.Signups)
	if err := db.NewSelect().Model(&f.Purchases).Where("vendor_id = ? AND customer_id = ?", v.ID, c.ID).
		OrderExpr("purchased_at DESC, id DESC").Limit(diagMaxRows).Scan(ctx); err != nil {
		return nil, classify(err)
	}
	slices.Reverse(f.Purchases)
	if err := db.NewSelect().Model(&f.Rewards).Where("vendor_id = ? AND customer_id = ?", v.ID, c.ID).
		OrderExpr("id ASC").Limit(diagMaxRows).Scan(ctx); err != nil {
		return nil, classify(err)
	}
	if err := db.NewSelect().Model(&f.Overrides).
		Where("vendor_id = ? AND object_type = ? AND object_id = ?", v.ID, attribution.ObjectCustomer, c.ID).
		OrderExpr("id ASC").Limit(diagMaxRows).Scan(ctx); err != nil {
		return nil, classify(err)
	}
	if err := s.diagClicks(ctx, db, v, f); err != nil {
		return nil, err
	}
	if err := s.diagPartners(ctx, db, v.ID, f); err != nil {
		return nil, err
	}
	if err := s.diagSnippet(ctx, db, v, f); err != nil {
		return nil, err
	}
	return f, nil
}

// diagCustomer finds the customer asked about; nil (no error) when an
// email names none.
func diagCustomer(ctx context.Context, db bun.IDB, vendorID string, q attribution.DiagnosisQuery) (*attribution.Customer, error) {
	c := new(attribution.Customer)
	sq := db.NewSelect().Model(c).Where("vendor_id = ?", vendorID).OrderExpr("id DESC").Limit(1)
	switch {
	case q.CustomerID != "":
		if !attribution.ValidID(attribution.PrefixCustomer, q.CustomerID) {
			return nil, notFound("Customer") // no such id can exist; spare the query
		}
		sq = sq.Where("id = ?", q.CustomerID)
	case q.ExternalID != "":
		sq = sq.Where("external_id = ?", q.ExternalID)
	default:
		sq = sq.Where("email = ?", q.Email)
	}
	err := sq.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		if q.Email != "" {
			return nil, nil
		}
		return nil, notFound("Customer")
	}
	if err != nil {
		return nil, classify(err)
	}
	return c, nil
}

// diagClicks finds the clicks of the customer's tokens, the clicks of the
// same visitor hash (token clicks' and signups'), and the vendor's clicks
// from the same truncated IP, browser and OS as each signup.
func (s *Store) diagClicks(ctx context.Context, db bun.IDB, v *attribution.Vendor, f *attribution.DiagnosisFacts) error {
	c := f.Customer
	found := map[string]attribution.FoundClick{}
	rank := map[string]int{attribution.ViaToken: 3, attribution.ViaVisitor: 2, attribution.ViaNetwork: 1}
	add := func(list []*attribution.Click, via string) {
		for _, k := range list {
			if cur, ok := found[k.ID]; !ok || rank[via] > rank[cur.Via] {
				found[k.ID] = attribution.FoundClick{Click: k, Via: via}
			}
		}
	}
	// The period in which a click could have mattered.
	to := f.Now
	from := c.CreatedAt
	for _, sg := range f.Signups {
		if sg.CreatedAt.Before(from) {
			from = sg.CreatedAt
		}
	}
	if len(f.Signups) > 0 {
		to = f.Signups[len(f.Signups)-1].CreatedAt
	}
	from = from.Add(-f.Window - diagLookback)
	to = to.Add(5 * time.Minute)

	ids := map[string]bool{}
	if c.ClickID != "" {
		ids[c.ClickID] = true
	}
	for _, sg := range f.Signups {
		if sg.ClickID != "" {
			ids[sg.ClickID] = true
		}
	}
	for _, p := range f.Purchases {
		if p.ClickID != "" {
			ids[p.ClickID] = true
		}
	}
	if len(ids) > 0 {
		var list []*attribution.Click
		if err := db.NewSelect().Model(&list).Where("vendor_id = ? AND id IN (?)", v.ID, bun.List(diagKeys(ids))).
			Limit(diagMaxRows).Scan(ctx); err != nil {
			return classify(err)
		}
		add(list, attribution.ViaToken)
	}
	hashes := map[string]bool{}
	for _, k := range found {
		if k.VisitorHash != "" {
			hashes[k.VisitorHash] = true
		}
	}
	for _, sg := range f.Signups {
		if sg.VisitorHash != "" {
			hashes[sg.VisitorHash] = true
		}
	}
	if len(hashes) > 0 {
		var list []*attribution.Click
		if err := db.NewSelect().Model(&list).
			Where("vendor_id = ? AND clicked_at >= ? AND clicked_at <= ?", v.ID, from, to).
			Where("visitor_hash IN (?)", bun.List(diagKeys(hashes))).
			OrderExpr("clicked_at DESC").Limit(diagMaxRows).Scan(ctx); err != nil {
			return classify(err)
		}
		add(list, attribution.ViaVisitor)
	}
	type network struct{ ip, browser, os string }
	seen := map[network]bool{}
	for _, sg := range f.Signups {
		n := network{sg.IPTrunc, sg.Browser, sg.OS}
		if n.ip == "" || seen[n] {
			continue
		}
		seen[n] = true
		var list []*attribution.Click
		if err := db.NewSelect().Model(&list).
			Where("vendor_id = ? AND clicked_at >= ? AND clicked_at <= ?", v.ID, sg.CreatedAt.Add(-f.Window-diagLookback), sg.CreatedAt.Add(5*time.Minute)).
			Where("ip_trunc = ? AND browser = ? AND os = ? AND bot = ?", n.ip, n.browser, n.os, false).
			OrderExpr("clicked_at DESC").Limit(50).Scan(ctx); err != nil {
			return classify(err)
		}
		add(list, attribution.ViaNetwork)
	}
	f.Clicks = make([]attribution.FoundClick, 0, len(found))
	for _, k := range found {
		f.Clicks = append(f.Clicks, k)
	}
	sort.Slice(f.Clicks, func(i, j int) bool {
		if !f.Clicks[i].ClickedAt.Equal(f.Clicks[j].ClickedAt) {
			return f.Clicks[i].ClickedAt.Before(f.Clicks[j].ClickedAt)
		}
		return f.Clicks[i].ID < f.Clicks[j].ID
	})

	// Did the vendor's links get any human click before the conversion?
	conv := c.CreatedAt
	if len(f.Signups) > 0 {
		conv = f.Signups[len(f.Signups)-1].CreatedAt
	}
	had, err := db.NewSelect().TableExpr("clicks").
		Where("vendor_id = ? AND clicked_at >= ? AND clicked_at <= ? AND bot = ?", v.ID, conv.Add(-f.Window), conv.Add(5*time.Minute), false).
		Exists(ctx)
	if err != nil {
		return classify(err)
	}
	f.VendorHadClicks = had
	return nil
}

// diagPartners loads every partner the facts name.
func (s *Store) diagPartners(ctx context.Context, db bun.IDB, vendorID string, f *attribution.DiagnosisFacts) error {
	ids := map[string]bool{}
	if f.Customer != nil && f.Customer.PartnerID != "" {
		ids[f.Customer.PartnerID] = true
	}
	for _, k := range f.Clicks {
		ids[k.PartnerID] = true
	}
	for _, sg := range f.Signups {
		if sg.PartnerID != "" {
			ids[sg.PartnerID] = true
		}
	}
	for _, r := range f.Rewards {
		ids[r.PartnerID] = true
	}
	if len(ids) == 0 {
		return nil
	}
	var list []*attribution.Partner
	if err := db.NewSelect().Model(&list).Where("vendor_id = ? AND id IN (?)", vendorID, bun.List(diagKeys(ids))).Scan(ctx); err != nil {
		return classify(err)
	}
	for _, p := range list {
		f.Partners[p.ID] = p
	}
	return nil
}

// diagSnippet tells whether the vendor's snippet ever pinged, and which of
// the vendor's origins (domain and subdomains, allowed origins, link
// destinations) pinged with a missing or wrong key or from an origin the
// vendor does not allow.
func (s *Store) diagSnippet(ctx context.Context, db bun.IDB, v *attribution.Vendor, f *attribution.DiagnosisFacts) error {
	seen, err := db.NewSelect().TableExpr("snippet_pages").Where("vendor_id = ?", v.ID).Exists(ctx)
	if err != nil {
		return classify(err)
	}
	f.SnippetSeen = seen

	var bad []struct {
		Origin    string `bun:"origin"`
		PublicKey string `bun:"public_key"`
	}
	if err := db.NewSelect().TableExpr("snippet_pages").ColumnExpr("DISTINCT origin, public_key").
		Where("vendor_id = ''").Limit(5000).Scan(ctx, &bad); err != nil {
		return classify(err)
	}
	if len(bad) == 0 {
		return nil
	}
	hosts := map[string]bool{}
	origins := map[string]bool{}
	for _, o := range v.AllowedOrigins {
		origins[o] = true
	}
	var dests []string
	if err := db.NewSelect().TableExpr("links").ColumnExpr("DISTINCT destination_url").
		Where("vendor_id = ?", v.ID).Limit(5000).Scan(ctx, &dests); err != nil {
		return classify(err)
	}
	for _, d := range dests {
		if u, err := url.Parse(d); err == nil && u.Hostname() != "" {
			hosts[strings.ToLower(u.Hostname())] = true
		}
	}
	mine := func(origin string) bool {
		if origins[origin] {
			return true
		}
		u, err := url.Parse(origin)
		if err != nil {
			return false
		}
		h := strings.ToLower(u.Hostname())
		return hosts[h] || (v.Domain != "" && (h == v.Domain || strings.HasSuffix(h, "."+v.Domain)))
	}
	set := map[string]bool{}
	for _, b := range bad {
		if b.PublicKey == v.PublicKey || mine(b.Origin) {
			set[b.Origin] = true
		}
	}
	f.MisconfiguredOrigins = diagKeys(set)
	return nil
}

// diagKeys returns a set's members, sorted.
func diagKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
