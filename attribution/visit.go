package attribution

import (
	"net/url"
	"time"
)

// Visit is what the edge read of a request for a referral link: the
// visitor facts clickinfo derived (never the raw IP), and the query.
type Visit struct {
	At           time.Time
	Query        url.Values // the visitor's utm_* and v (the variant)
	IPTrunc      string
	IPHash       string
	VisitorHash  string
	Browser      string
	OS           string
	Device       string
	Bot          bool
	ReferrerHost string
	Source       string
	Country      string
}

// Bounds of a click's visitor-supplied text, in bytes.
const (
	maxClickUTM      = 200
	maxClickVariant  = 64
	maxClickReferrer = 255
)

// NewClick is the click a visit of l records: each utm_* of the visit's
// query where it gives one, else the link's own; the visitor's text
// bounded as the clicks table keeps it.
func NewClick(l *Link, v Visit) *Click {
	utm := func(key, linkValue string) string {
		if q := v.Query.Get(key); q != "" {
			return Clip(q, maxClickUTM)
		}
		return Clip(linkValue, maxClickUTM)
	}
	return &Click{
		ID: NewID(PrefixClick, v.At), VendorID: l.VendorID, LinkID: l.ID, PartnerID: l.PartnerID,
		ClickedAt: v.At, IPTrunc: v.IPTrunc, IPHash: v.IPHash, VisitorHash: v.VisitorHash,
		Browser: v.Browser, OS: v.OS, Device: v.Device, Bot: v.Bot,
		ReferrerHost: Clip(v.ReferrerHost, maxClickReferrer), Source: v.Source,
		UTMSource:   utm("utm_source", l.UTM.Source),
		UTMMedium:   utm("utm_medium", l.UTM.Medium),
		UTMCampaign: utm("utm_campaign", l.UTM.Campaign),
		UTMContent:  utm("utm_content", l.UTM.Content),
		UTMTerm:     utm("utm_term", l.UTM.Term),
		Variant:     Clip(v.Query.Get("v"), maxClickVariant),
		Country:     v.Country,
	}
}

// Token is the click token the visitor is handed. Bots follow the link
// but get none (false): their clicks are never credited.
func (c *Click) Token() (ClickToken, bool) {
	if c.Bot {
		return ClickToken{}, false
	}
	return ClickToken{
		ClickID: c.ID, LinkID: c.LinkID, PartnerID: c.PartnerID,
		VendorID: c.VendorID, ClickedAt: c.ClickedAt.Unix(),
	}, true
}
