package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/tally-dev/tally/attribution"
)

// Links manages the vendors' links and resolves referral keys through
// the link cache.
type Links struct {
	core
	cache *linkCache // shared with Vendors, whose changes purge it
}

var _ attribution.LinkService = (*Links)(nil)

// CreateLink creates a link for one of the vendor's partners, with its
// audit entry.
func (s *Links) CreateLink(ctx context.Context, vendorID, actor string, c attribution.LinkCreate) (*attribution.Link, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if _, err := findPartner(ctx, s.db, vendorID, c.PartnerID); err != nil {
		if attribution.ErrorCode(err) == attribution.ENOTFOUND {
			return nil, attribution.Errorf(attribution.EINVALID, "partner_id does not name one of your partners.")
		}
		return nil, err
	}
	now := s.now()
	l := &attribution.Link{
		ID: attribution.NewID(attribution.PrefixLink, now), VendorID: vendorID, PartnerID: c.PartnerID,
		Key: c.Key, DestinationURL: c.DestinationURL, UTM: c.UTM, Status: attribution.LinkActive,
		Aliases: []string{}, CreatedAt: now, UpdatedAt: now,
	}
	custom := l.Key != ""
	for attempt := 0; ; attempt++ {
		if !custom {
			l.Key = attribution.NewLinkKey()
		}
		err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.NewInsert().Model(l).Exec(ctx); err != nil {
				return err
			}
			if err := claimKey(ctx, tx, l, now); err != nil {
				return err
			}
			return audit(ctx, tx, vendorID, actor, attribution.ActionLinkCreate, attribution.ObjectLink, l.ID, "", nil, l, now)
		})
		if attribution.ErrorCode(err) == attribution.ECONFLICT {
			if custom {
				return nil, attribution.Errorf(attribution.ECONFLICT, "The key %q is taken.", l.Key)
			} else if attempt < 5 {
				continue
			}
		}
		if err != nil {
			return nil, err
		}
		break
	}
	s.cache.purge() // a cached "unknown key" answer may name this key
	return l, nil
}

// FindLink returns one of the vendor's links with its aliases.
func (s *Links) FindLink(ctx context.Context, vendorID, id string) (*attribution.Link, error) {
	return findLink(ctx, s.db, vendorID, id)
}

func findLink(ctx context.Context, db bun.IDB, vendorID, id string) (*attribution.Link, error) {
	l, err := findByID[attribution.Link](ctx, db, attribution.PrefixLink, "Link", vendorID, id)
	if err != nil {
		return nil, err
	}
	return l, loadAliases(ctx, db, []*attribution.Link{l})
}

// claimKey reserves l.Key for l in the one namespace of keys and aliases:
// a key l had before becomes its key again; a key or alias of another link
// is ECONFLICT (the primary key settles races).
func claimKey(ctx context.Context, db bun.IDB, l *attribution.Link, now time.Time) error {
	var owner string
	err := db.NewSelect().TableExpr("link_keys").Column("link_id").Where(`"key" = ?`, l.Key).Scan(ctx, &owner)
	switch {
	case err == nil && owner == l.ID:
		return nil
	case err == nil:
		return errAlreadyExists
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	_, err = db.NewRaw(`INSERT INTO link_keys ("key", link_id, vendor_id, created_at) VALUES (?, ?, ?, ?)`,
		l.Key, l.ID, l.VendorID, now).Exec(ctx)
	return err
}

// loadAliases fills in the aliases of links: the keys each had before its
// current one, oldest first.
func loadAliases(ctx context.Context, db bun.IDB, links []*attribution.Link) error {
	if len(links) == 0 {
		return nil
	}
	byID := make(map[string]*attribution.Link, len(links))
	ids := make([]string, len(links))
	for i, l := range links {
		l.Aliases = []string{}
		byID[l.ID], ids[i] = l, l.ID
	}
	var rows []struct {
		Key    string `bun:"key"`
		LinkID string `bun:"link_id"`
	}
	err := db.NewSelect().TableExpr("link_keys").ColumnExpr(`"key", link_id`).
		Where("link_id IN (?)", bun.List(ids)).OrderExpr(`created_at ASC, "key" ASC`).Scan(ctx, &rows)
	if err != nil {
		return classify(err)
	}
	for _, r := range rows {
		if l := byID[r.LinkID]; r.Key != l.Key {
			l.Aliases = append(l.Aliases, r.Key)
		}
	}
	return nil
}

// ListLinks lists the vendor's links, newest first.
func (s *Links) ListLinks(ctx context.Context, vendorID string, f attribution.LinkFilter) ([]*attribution.Link, bool, error) {
	page := f.Page.Normalize()
	var out []*attribution.Link
	q := listQuery(s.db, &out, vendorID, page)
	if f.PartnerID != "" {
		q = q.Where("partner_id = ?", f.PartnerID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	list, more, err := scanPage(ctx, q, &out, page)
	if err != nil {
		return nil, false, err
	}
	return list, more, loadAliases(ctx, s.db, list)
}

// UpdateLink applies upd and its audit entry in one transaction; a change
// that changes nothing (archiving twice) writes nothing.
func (s *Links) UpdateLink(ctx context.Context, vendorID, actor, id string, upd attribution.LinkUpdate) (*attribution.Link, error) {
	if err := attribution.ValidateOptionalReason(&upd.Reason); err != nil {
		return nil, err
	}
	var out *attribution.Link
	err := s.tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		l, err := findLink(ctx, tx, vendorID, id)
		if err != nil {
			return err
		}
		before := *l
		if err := upd.Apply(l); err != nil {
			return err
		}
		out = l
		if attribution.ToRawJSON(l) == attribution.ToRawJSON(&before) {
			return nil
		}
		now := s.now()
		l.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(l).WherePK().Exec(ctx); err != nil {
			return err
		}
		if l.Key != before.Key { // the old key stays an alias
			if err := claimKey(ctx, tx, l, now); err != nil {
				return err
			}
			if err := loadAliases(ctx, tx, []*attribution.Link{l}); err != nil {
				return err
			}
		}
		action := attribution.ActionLinkUpdate
		if l.Status == attribution.LinkArchived && before.Status != attribution.LinkArchived {
			action = attribution.ActionLinkArchive
		}
		return audit(ctx, tx, vendorID, actor, action, attribution.ObjectLink, l.ID, upd.Reason, &before, l, now)
	})
	if attribution.ErrorCode(err) == attribution.ECONFLICT {
		return nil, attribution.Errorf(attribution.ECONFLICT, "That key is taken.")
	}
	if err != nil {
		return nil, err
	}
	s.cache.purge()
	return out, nil
}

// ResolveLink finds what /r/{key} redirects to, through the cache. A
// cached link used in the second half of its TTL (at a random point per
// entry) is refreshed in the background, and a known link past its TTL is
// served as last known while one lookup refreshes it: the redirect never
// waits on the database for a link it knows. (Loaded together, a
// program's links expired together, and at 5,000 redirects/s their
// lookups stalled the redirects every TTL.)
func (s *Links) ResolveLink(ctx context.Context, key string) (*attribution.RedirectTarget, error) {
	// Only valid keys are ever cached, so the check can wait for a miss.
	if t, ok, due := s.cache.get(key); ok {
		if due {
			s.refresh(key)
		}
		if t == nil {
			return nil, notFound("Link")
		}
		return t, nil
	}
	if !attribution.ValidLinkKey(key) {
		return nil, notFound("Link")
	}
	if t, ok := s.cache.stale(key); ok {
		s.refresh(key)
		return t, nil
	}
	return s.lookupLink(ctx, key)
}

// refreshTimeout bounds a background refresh of a cached link.
const refreshTimeout = 10 * time.Second

// refresh looks key up again in the background, unless a lookup of it is
// already running, at most maxRefreshes at once; on failure the last
// known target stays served.
func (s *Links) refresh(key string) {
	if !s.cache.startRefresh(key) {
		return
	}
	go func() {
		defer s.cache.endRefresh(key)
		ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
		defer cancel()
		select {
		case s.cache.refreshSlots <- struct{}{}:
			defer func() { <-s.cache.refreshSlots }()
		case <-ctx.Done():
			return
		}
		_, _ = s.lookupLink(ctx, key)
	}()
}

// lookupLink reads key's target from the database and caches it.
func (s *Links) lookupLink(ctx context.Context, key string) (*attribution.RedirectTarget, error) {
	gen := s.cache.generation()
	var row struct {
		attribution.Link `bun:",extend"`
		WindowDays       int    `bun:"window_days"`
		CookieDomain     string `bun:"cookie_domain"`
		FallbackURL      string `bun:"fallback_url"`
		PartnerStatus    string `bun:"partner_status"`
	}
	err := s.db.NewSelect().
		ColumnExpr("l.*").
		ColumnExpr("v.attribution_window_days AS window_days, v.cookie_domain, v.fallback_url, p.status AS partner_status").
		TableExpr("link_keys AS k"). // the link's key or one of its aliases
		Join("JOIN links AS l ON l.id = k.link_id").
		Join("JOIN vendors AS v ON v.id = l.vendor_id").
		Join("JOIN partners AS p ON p.id = l.partner_id").
		Where(`k."key" = ?`, key).
		Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) {
		s.cache.put(key, nil, gen)
		return nil, notFound("Link")
	} else if err != nil {
		// A key with a last known target never gets here from ResolveLink,
		// which serves that target whatever the database's state.
		return nil, classify(err)
	}
	t := attribution.NewRedirectTarget(row.Link, row.WindowDays, row.CookieDomain, row.FallbackURL)
	t.PartnerStatus = row.PartnerStatus
	s.cache.put(key, t, gen)
	return t, nil
}
