// Package clientaddr tells who is on the other end of an HTTP request: the
// direct peer, or — when the peer is a proxy the operator trusts
// (SHOPBOT_TRUSTED_PROXIES) — the address that proxy reports in
// X-Forwarded-For. Anything else a client sends about its address is
// ignored, so a client cannot pick the address its limits are counted on.
package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds a request's client address.
type Resolver struct {
	trusted []netip.Prefix
}

// Parse reads a comma-separated list of CIDRs ("10.0.0.0/8, 127.0.0.1/32";
// a bare address is one host). An empty list trusts no proxy.
func Parse(cidrs string) (Resolver, error) {
	var r Resolver
	for _, f := range strings.Split(cidrs, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return Resolver{}, fmt.Errorf("trusted proxy %q: not an address or CIDR", f)
			}
			f = netip.PrefixFrom(a, a.BitLen()).String()
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return Resolver{}, fmt.Errorf("trusted proxy %q: not an address or CIDR", f)
		}
		r.trusted = append(r.trusted, p.Masked())
	}
	return r, nil
}

// Trusts reports whether a is one of the trusted proxies.
func (r Resolver) Trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr is the client address of req: the peer, unless the peer is a
// trusted proxy, then the right-most address in X-Forwarded-For that is not
// itself a trusted proxy (the left-most ones are whatever the client
// wrote). An unparsable peer gives the zero Addr.
func (r Resolver) Addr(req *http.Request) netip.Addr {
	peer := peerAddr(req.RemoteAddr)
	if !peer.IsValid() || !r.Trusts(peer) {
		return peer
	}
	hops := forwarded(req.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		if !r.Trusts(hops[i]) {
			return hops[i]
		}
	}
	return peer // every hop is a proxy of ours: the request came from inside
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// forwarded parses X-Forwarded-For headers into addresses, left to right;
// an entry that does not parse ends the list there (what lies to its left
// cannot be told apart from what a client made up).
func forwarded(values []string) []netip.Addr {
	var out []netip.Addr
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			a, err := netip.ParseAddr(strings.TrimSpace(f))
			if err != nil {
				out = out[:0]
				continue
			}
			out = append(out, a.Unmap())
		}
	}
	return out
}
