package commerce

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ShopSetupStore keeps the shop's profile and the seller's edits of
// categories. Pickup points are written through PickupStore.
type ShopSetupStore interface {
	CatalogStore
	PickupStore
	// ShopProfile returns the stored profile. ErrNotFound when none was
	// ever saved.
	ShopProfile(ctx context.Context) (ShopProfile, error)
	// UpdateShopProfile runs edit on the stored profile (the zero profile
	// when none) inside a transaction holding its row, and writes it back.
	// When the currency changes while a product is priced in another
	// currency than the new one, it returns ErrCurrencyLocked and changes
	// nothing. An error from edit aborts with nothing changed.
	UpdateShopProfile(ctx context.Context, edit func(*ShopProfile) error) (ShopProfile, error)
	// CreateCategory inserts c after every other category (its Sort is
	// set). ErrConflict when its slug is taken.
	CreateCategory(ctx context.Context, c Category) (Category, error)
	// UpdateCategory runs edit on the category inside a transaction holding
	// its row, and writes back its title and hidden flag. ErrNotFound if
	// absent; an error from edit aborts with nothing changed.
	UpdateCategory(ctx context.Context, id int64, edit func(*Category) error) (Category, error)
	// SetCategoryOrder renumbers the categories in the order of ids (all of
	// them, each once) in one transaction. ErrConflict when ids are not
	// exactly the categories there are (one was added or removed meanwhile).
	SetCategoryOrder(ctx context.Context, ids []int64) error
}

// ShopSetupOptions configures a ShopSetup.
type ShopSetupOptions struct {
	Store ShopSetupStore
	Clock Clock // default SystemClock
	// Defaults is the profile of a shop not set up yet (DefaultProfile of
	// SHOPBOT_DEFAULT_REGION and SHOPBOT_TIMEZONE); fields the stored
	// profile leaves empty are taken from it.
	Defaults ShopProfile
	// CacheTTL is how long a profile read is reused (default 5 s): other
	// replicas see a change within it.
	CacheTTL time.Duration
}

// ShopSetup is the seller's setup of the shop: the profile, the categories
// and the pickup points. Its methods validate everything and are
// UI-neutral: the chat, the command line and the console call the same
// ones. Errors are sentinels (ErrInvalid naming the field, ErrNotFound,
// ErrConflict, ErrCurrencyLocked, ErrCurrencyMismatch).
type ShopSetup struct {
	store    ShopSetupStore
	clock    Clock
	defaults ShopProfile
	ttl      time.Duration

	mu      sync.Mutex
	cached  ShopProfile
	stored  bool
	readAt  time.Time
	hasRead bool
}

// NewShopSetup builds a ShopSetup with defaults filled in.
func NewShopSetup(o ShopSetupOptions) *ShopSetup {
	if o.Clock == nil {
		o.Clock = SystemClock
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = 5 * time.Second
	}
	d := o.Defaults
	base := DefaultProfile("CN", "Asia/Shanghai")
	if d.Region == "" {
		d.Region = base.Region
	}
	if d.TimeZone == "" {
		d.TimeZone = base.TimeZone
	}
	if d.Currency == "" {
		d.Currency = base.Currency
	}
	if len(d.Languages) == 0 {
		d.Languages = base.Languages
	}
	if d.DefaultLang == "" {
		d.DefaultLang = base.DefaultLang
	}
	return &ShopSetup{store: o.Store, clock: o.Clock, defaults: d, ttl: o.CacheTTL, cached: d}
}

// Store is the store behind the setup.
func (s *ShopSetup) Store() ShopSetupStore { return s.store }

// withDefaults fills what p leaves empty from the defaults.
func (s *ShopSetup) withDefaults(p ShopProfile) ShopProfile {
	d := s.defaults
	if len(p.Languages) == 0 {
		p.Languages = d.Languages
	}
	if p.DefaultLang == "" {
		p.DefaultLang = p.Languages[0]
	}
	if p.TimeZone == "" {
		p.TimeZone = d.TimeZone
	}
	if p.Region == "" {
		p.Region = d.Region
	}
	if p.Currency == "" {
		p.Currency = d.Currency
	}
	return p
}

// Profile returns the shop's profile with empty fields filled from the
// defaults, and whether the seller has set it up (ShopProfile.Configured
// of what is stored). Reads are cached for CacheTTL.
func (s *ShopSetup) Profile(ctx context.Context) (p ShopProfile, configured bool, err error) {
	now := s.clock.Now()
	s.mu.Lock()
	if s.hasRead && now.Sub(s.readAt) < s.ttl && now.Sub(s.readAt) >= 0 {
		p, configured = s.cached, s.stored
		s.mu.Unlock()
		return p, configured, nil
	}
	s.mu.Unlock()
	stored, err := s.store.ShopProfile(ctx)
	switch {
	case errors.Is(err, ErrNotFound):
		stored = ShopProfile{}
	case err != nil:
		return s.Cached(), false, err
	}
	p = s.withDefaults(stored)
	s.remember(p, stored.Configured(), now)
	return p, stored.Configured(), nil
}

func (s *ShopSetup) remember(p ShopProfile, configured bool, at time.Time) {
	s.mu.Lock()
	s.cached, s.stored, s.readAt, s.hasRead = p, configured, at, true
	s.mu.Unlock()
}

// Forget drops the cached profile, so the next Profile reads the store:
// for a profile written around the service (the demo's seed).
func (s *ShopSetup) Forget() {
	s.mu.Lock()
	s.hasRead = false
	s.mu.Unlock()
}

// Cached is the profile last read (the defaults before the first read),
// for callers without a context: phone numbers read in its Region.
func (s *ShopSetup) Cached() ShopProfile {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cached
}

// Currency is the shop's currency (CNY until set); on a read failure the
// last one read.
func (s *ShopSetup) Currency(ctx context.Context) string {
	p, _, _ := s.Profile(ctx)
	return p.Currency
}

// UpdateProfile applies edit to the stored profile and saves it, after
// checking the result (ErrInvalid naming the field). Changing the currency
// while products are priced in the old one is ErrCurrencyLocked. Nothing
// changes on any error.
func (s *ShopSetup) UpdateProfile(ctx context.Context, edit func(*ShopProfile) error) (ShopProfile, error) {
	saved, err := s.store.UpdateShopProfile(ctx, func(p *ShopProfile) error {
		if err := edit(p); err != nil {
			return err
		}
		if p.DefaultLang != "" && len(p.Languages) > 0 && !p.Speaks(p.DefaultLang) {
			p.DefaultLang = p.Languages[0]
		}
		return p.Validate()
	})
	if err != nil {
		return ShopProfile{}, err
	}
	p := s.withDefaults(saved)
	s.remember(p, saved.Configured(), s.clock.Now())
	return p, nil
}

// SetName sets the shop's name (1–MaxShopNameRunes characters on one line).
func (s *ShopSetup) SetName(ctx context.Context, name string) (ShopProfile, error) {
	name, err := CleanTitle(name)
	if err != nil || len([]rune(name)) > MaxShopNameRunes {
		return ShopProfile{}, fmt.Errorf("shop name: %w", ErrInvalid)
	}
	return s.UpdateProfile(ctx, func(p *ShopProfile) error { p.Name = name; return nil })
}

// SetWelcome sets the welcome in lang; "" removes it (buyers then see the
// built-in welcome).
func (s *ShopSetup) SetWelcome(ctx context.Context, lang, text string) (ShopProfile, error) {
	text, err := CleanDescription(text)
	if err != nil {
		return ShopProfile{}, err
	}
	return s.UpdateProfile(ctx, func(p *ShopProfile) error {
		p.Welcome = withText(p.Welcome, lang, text)
		return nil
	})
}

// SetCurrency sets the shop's currency (ParseCurrency's forms).
// ErrCurrencyLocked while products are priced in another.
func (s *ShopSetup) SetCurrency(ctx context.Context, currency string) (ShopProfile, error) {
	c, err := ParseCurrency(currency)
	if err != nil {
		return ShopProfile{}, err
	}
	return s.UpdateProfile(ctx, func(p *ShopProfile) error { p.Currency = c; return nil })
}

// SetLanguages sets the languages offered and the default one, which must
// be among them ("" = the first).
func (s *ShopSetup) SetLanguages(ctx context.Context, langs []string, def string) (ShopProfile, error) {
	if len(langs) == 0 {
		return ShopProfile{}, fmt.Errorf("no language: %w", ErrInvalid)
	}
	if def == "" {
		def = langs[0]
	}
	return s.UpdateProfile(ctx, func(p *ShopProfile) error {
		p.Languages, p.DefaultLang = langs, def
		if !p.Speaks(def) {
			return fmt.Errorf("default language %q not offered: %w", def, ErrInvalid)
		}
		return nil
	})
}

// SetTimeZone sets the shop's IANA zone.
func (s *ShopSetup) SetTimeZone(ctx context.Context, zone string) (ShopProfile, error) {
	z, err := ParseTimeZone(zone)
	if err != nil {
		return ShopProfile{}, err
	}
	return s.UpdateProfile(ctx, func(p *ShopProfile) error { p.TimeZone = z; return nil })
}

// SetRegion sets the region phone numbers without a country code are read in.
func (s *ShopSetup) SetRegion(ctx context.Context, region string) (ShopProfile, error) {
	r, err := ParseRegion(region)
	if err != nil {
		return ShopProfile{}, err
	}
	return s.UpdateProfile(ctx, func(p *ShopProfile) error { p.Region = r; return nil })
}

// SetContactHours sets when buyers can reach the seller (free text, one line).
func (s *ShopSetup) SetContactHours(ctx context.Context, hours string) (ShopProfile, error) {
	hours = cleanLine(hours)
	if err := checkLine("contact hours", hours, MaxContactHoursRunes); err != nil {
		return ShopProfile{}, err
	}
	return s.UpdateProfile(ctx, func(p *ShopProfile) error { p.ContactHours = hours; return nil })
}

// CheckCurrency refuses a price in another currency than the shop's
// (ErrCurrencyMismatch naming both).
func (s *ShopSetup) CheckCurrency(ctx context.Context, m Money) error {
	if c := s.Currency(ctx); m.Currency != c {
		return fmt.Errorf("price in %s, the shop sells in %s: %w", m.Currency, c, ErrCurrencyMismatch)
	}
	return nil
}
