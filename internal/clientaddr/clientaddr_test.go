package clientaddr

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestAddr(t *testing.T) {
	r, err := Parse("10.0.0.0/8, 127.0.0.1, ::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"direct client", "203.0.113.7:5555", nil, "203.0.113.7"},
		{"direct client's XFF is ignored", "203.0.113.7:5555", []string{"1.2.3.4"}, "203.0.113.7"},
		{"trusted proxy", "10.1.2.3:80", []string{"198.51.100.9"}, "198.51.100.9"},
		{"spoofed left entries", "10.1.2.3:80", []string{"6.6.6.6, 198.51.100.9"}, "198.51.100.9"},
		{"chain of our proxies", "127.0.0.1:80", []string{"198.51.100.9, 10.9.9.9"}, "198.51.100.9"},
		{"two headers", "10.1.2.3:80", []string{"6.6.6.6", "198.51.100.9"}, "198.51.100.9"},
		{"only proxies", "10.1.2.3:80", []string{"10.4.4.4"}, "10.1.2.3"},
		{"no header behind a proxy", "10.1.2.3:80", nil, "10.1.2.3"},
		{"garbage at the right", "10.1.2.3:80", []string{"198.51.100.9, nonsense"}, "10.1.2.3"},
		{"ipv6 peer", "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"v4-mapped proxy", "[::ffff:10.1.2.3]:80", []string{"198.51.100.9"}, "198.51.100.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := r.Addr(req); got != netip.MustParseAddr(tc.want) {
				t.Fatalf("Addr = %v; want %s", got, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"nonsense", "10.0.0.0/33", "1.2.3"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
	r, err := Parse("")
	if err != nil || r.Trusts(netip.MustParseAddr("127.0.0.1")) {
		t.Fatalf("empty list: %v, trusts loopback", err)
	}
}

func FuzzAddr(f *testing.F) {
	r, _ := Parse("10.0.0.0/8")
	f.Add("10.0.0.1:1", "1.2.3.4, 5.6.7.8")
	f.Add("[::1]:1", "")
	f.Fuzz(func(t *testing.T, peer, xff string) {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = peer
		req.Header.Set("X-Forwarded-For", xff)
		a := r.Addr(req)
		if a.IsValid() && r.Trusts(peerAddr(peer)) == false && a != peerAddr(peer) {
			t.Fatalf("untrusted peer %q gave %v", peer, a)
		}
	})
}
