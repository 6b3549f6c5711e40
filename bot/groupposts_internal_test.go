package bot

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"shopbot/commerce"
)

func TestCountdownSteps(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		before time.Duration
		want   countdown
	}{
		{72 * time.Hour, countdown{Days: 3}},
		{49 * time.Hour, countdown{Days: 3}}, // rounded up
		{48 * time.Hour, countdown{Hours: 48}},
		{5*time.Hour + time.Minute, countdown{Hours: 6}},
		{91 * time.Minute, countdown{Hours: 2}},
		{90 * time.Minute, countdown{Minutes: 90}},
		{41 * time.Minute, countdown{Minutes: 50}},
		{time.Second, countdown{Minutes: 10}},
	} {
		if got := countdownTo(start, start.Add(-tc.before)); got != tc.want {
			t.Errorf("%s before: %+v; want %+v", tc.before, got, tc.want)
		}
	}
}

// The shown state changes only when the post would read differently.
func TestEncodeShown(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 10, 12, 0, 0, 0, time.UTC)
	d := commerce.Drop{Left: 23, StartsAt: start}
	for _, tc := range []struct {
		now    time.Time
		left   int
		takers int
		want   string
	}{
		{start.Add(-5 * time.Hour), 23, 0, "soon/5h/0"},
		{start.Add(-4*time.Hour - 59*time.Minute), 23, 0, "soon/5h/0"},
		{start.Add(-time.Minute), 23, 0, "soon/10m/0"},
		{start, 23, 0, "on/23/0"},
		{start, 22, 1, "on/22/1"},
		{start.Add(time.Hour), 0, 7, "on/0/7"},
	} {
		d.Left = tc.left
		if got := encodeShown(d, tc.takers, tc.now); got != tc.want {
			t.Errorf("at %s with %d left, %d takers: %q; want %q", tc.now.Sub(start), tc.left, tc.takers, got, tc.want)
		}
	}
}

func TestZoneLabel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		off  int
		want string
	}{{8 * 3600, "UTC+8"}, {0, "UTC"}, {-(3*3600 + 1800), "UTC-3:30"}, {5*3600 + 2700, "UTC+5:45"}} {
		if got := zoneLabel(time.Date(2030, 1, 1, 0, 0, 0, 0, time.FixedZone("", tc.off))); got != tc.want {
			t.Errorf("offset %d: %q; want %q", tc.off, got, tc.want)
		}
	}
}

func TestTakerName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		setting, first, want string
	}{
		{NamesFirst, "Anna", "Anna"},
		{NamesFirst, "  小明 ", "小明"},
		{NamesFirst, "Averyveryverylongfirstname", "Averyveryverylon"},
		{NamesFirst, "Li\u202eevil\x00", "Lievil"},
		{NamesFirst, "", "?"},
		{NamesInitials, "anna", "A."},
		{NamesInitials, "Дарья", "Д."},
		{NamesNone, "Anna", ""},
	} {
		g := NewGroupPosts(GroupPostsOptions{Names: tc.setting})
		if got := g.takerName(tc.first); got != tc.want {
			t.Errorf("%s %q: %q; want %q", tc.setting, tc.first, got, tc.want)
		}
	}
}

// First names come from the platform unchecked: whatever they hold, the
// listed name is short, valid text without control or format characters.
func FuzzTakerName(f *testing.F) {
	for _, s := range []string{"Anna", "小明", "Li\u202eevil", "\x00\xff", "   ", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, first string) {
		for _, setting := range []string{NamesFirst, NamesInitials} {
			name := NewGroupPosts(GroupPostsOptions{Names: setting}).takerName(first)
			if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxTakerName || strings.TrimSpace(name) != name {
				t.Fatalf("%s %q: %q", setting, first, name)
			}
			for _, r := range name {
				if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
					t.Fatalf("%s %q: %q holds %U", setting, first, name, r)
				}
			}
		}
	})
}
