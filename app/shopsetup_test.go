package app

import (
	"context"
	"io"
	"log/slog"
	"testing"
)

// TestProfileRegion: phone numbers are read in SHOPBOT_DEFAULT_REGION
// until the shop's profile sets a region, then in that one at once.
func TestProfileRegion(t *testing.T) {
	t.Parallel()
	cfg := sqliteConfig(t)
	cfg.SeedDemo = false
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	tests := []struct {
		region string // "" = not set in the profile
		in     string
		want   string
	}{
		{"", "137 1111 0001", "+8613711110001"},
		{"RU", "912 345-67-89", "+79123456789"},
		{"RU", "+86 137 1111 0001", "+8613711110001"},
	}
	for _, tc := range tests {
		if tc.region != "" {
			if _, err := a.setup.SetRegion(ctx, tc.region); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := a.Shop.NormalizePhone(tc.in); err != nil || got != tc.want {
			t.Errorf("region %q: NormalizePhone(%q) = %q, %v; want %q", tc.region, tc.in, got, err, tc.want)
		}
	}
	if p, configured, _ := a.setup.Profile(ctx); configured || p.Currency != "CNY" {
		t.Errorf("an empty shop's profile = %+v (configured %v): not set up, CNY by default", p, configured)
	}
}
