package app

import (
	"context"
	"fmt"
	"sync"

	"shopbot/commerce"
)

// The shop's profile (name, welcome, languages, zone, phone region,
// currency, contact hours), its categories and pickup points, as the
// seller sets them up: commerce.ShopSetup over the database.

// openSetup makes the shop setup service, with the environment's region
// and zone as the defaults of a shop not set up yet.
func (a *App) openSetup() {
	a.setup = commerce.NewShopSetup(commerce.ShopSetupOptions{Store: a.Store, Clock: a.cfg.clock,
		Defaults: commerce.DefaultProfile(a.cfg.region(), a.cfg.zone().String())})
}

// profileRegion is the region phone numbers are read in: the profile's
// once the seller set one, else SHOPBOT_DEFAULT_REGION.
func (a *App) profileRegion(ctx context.Context) string {
	p, _, err := a.setup.Profile(ctx)
	if err != nil || p.Region == "" {
		return a.cfg.region()
	}
	return p.Region
}

// regionPhones is a phone normalizer that reads numbers in the shop's
// current region (ShopSetup.Cached, so a region set in the chat applies at
// once), with one normalizer per region made on first use.
func (a *App) regionPhones(first commerce.PhoneNormalizer, firstRegion string) commerce.PhoneNormalizer {
	var mu sync.Mutex
	byRegion := map[string]commerce.PhoneNormalizer{firstRegion: first}
	return func(s string) (string, error) {
		region := a.setup.Cached().Region
		if region == "" {
			region = firstRegion
		}
		mu.Lock()
		norm := byRegion[region]
		if norm == nil {
			n, err := e164(region)
			if err != nil {
				mu.Unlock()
				return "", fmt.Errorf("phone region %s: %w", region, commerce.ErrInvalid)
			}
			byRegion[region], norm = n, n
		}
		mu.Unlock()
		return norm(s)
	}
}
