package bot

import "testing"

func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"31.2304, 121.4737", "55.75 37.59", "200, 1", "0,0", "NaN, 1", "1e3 2", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lat, lng, ok := parsePosition(s)
		if ok && !(lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180 && (lat != 0 || lng != 0)) {
			t.Errorf("parsePosition(%q) = %v, %v", s, lat, lng)
		}
	})
}
