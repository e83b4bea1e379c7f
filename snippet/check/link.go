package check

import (
	"context"
	"errors"
	"net/url"

	"github.com/tally-dev/tally/attribution"
)

// checkToken stands in for a click token in a destination check, so the
// report shows whether the site's own redirects keep tally_ref.
const checkToken = "tally_check"

// CheckLink fetches l's destination as a click reaches it (its UTM
// parameters and a stand-in tally_ref added) and reports on the snippet
// and publicKey: POST /v1/links/{id}/check and the dashboard's button.
// A destination it may not or cannot fetch is EINVALID, with the reason.
func (f *Fetcher) CheckLink(ctx context.Context, l *attribution.Link, publicKey string) (*Report, error) {
	target, err := attribution.RedirectURL(l.DestinationURL, l.UTM, url.Values{}, checkToken)
	if err != nil {
		return nil, attribution.Errorf(attribution.EINVALID, "The link's destination_url is not a valid URL.")
	}
	rep, err := f.Check(ctx, target, publicKey)
	var be *BlockedError
	switch {
	case errors.As(err, &be):
		return nil, attribution.Errorf(attribution.EINVALID, "Refused to fetch %s: %s. Tally does not fetch private, loopback, link-local or multicast addresses; the operator can allow them with TALLY_CHECK_ALLOW_PRIVATE=true.",
			target, be.Error())
	case err != nil:
		return nil, attribution.Errorf(attribution.EINVALID, "Cannot check %s: %s.", target, err.Error())
	}
	return rep, nil
}
