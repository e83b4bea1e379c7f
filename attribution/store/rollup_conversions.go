package store

import (
	"context"

	"github.com/uptrace/bun"
)

// conversionClickCols are the click dimensions conversion_clicks copies:
// every group-by's but link and partner, which conversions carry.
const conversionClickCols = "variant, utm_source, utm_medium, utm_campaign, source, referrer_host, country, device, browser, os"

// copyConversionClicks copies into conversion_clicks the dimensions of the
// clicks customers and purchases name that it does not hold yet (each run
// of the rollup job; analytics read the rest from clicks).
func copyConversionClicks(ctx context.Context, tx bun.Tx) error {
	_, err := tx.NewRaw(`INSERT INTO conversion_clicks (click_id, vendor_id, ` + conversionClickCols + `)
		SELECT id, vendor_id, ` + conversionClickCols + ` FROM clicks WHERE id IN (
			SELECT click_id FROM customers cu WHERE click_id <> ''
				AND NOT EXISTS (SELECT 1 FROM conversion_clicks x WHERE x.click_id = cu.click_id)
			UNION
			SELECT click_id FROM purchases p WHERE click_id <> ''
				AND NOT EXISTS (SELECT 1 FROM conversion_clicks x WHERE x.click_id = p.click_id))
		ON CONFLICT (click_id) DO NOTHING`).Exec(ctx)
	return err
}
