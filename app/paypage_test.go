package app

import (
	"encoding/base64"
	"encoding/binary"
	"testing"
)

// FuzzPayToken: a pay link's token is outside input; parsing any string
// never panics, and what it accepts is exactly an id, an expiry and a
// 16-byte MAC that encode back to the same token.
func FuzzPayToken(f *testing.F) {
	good := binary.AppendUvarint(nil, 42)
	good = binary.AppendUvarint(good, 1_800_000_000)
	good = append(good, make([]byte, 16)...)
	for _, s := range []string{base64.RawURLEncoding.EncodeToString(good), "", "AAAA", "____", "=", "x.y", string(make([]byte, 100))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		id, exp, mac, ok := parsePayToken(token)
		if !ok {
			return
		}
		if id <= 0 || exp < 0 || len(mac) != 16 {
			t.Fatalf("%q parsed as id %d exp %d mac %d bytes", token, id, exp, len(mac))
		}
		again := binary.AppendUvarint(nil, uint64(id))
		again = binary.AppendUvarint(again, uint64(exp))
		if enc := base64.RawURLEncoding.EncodeToString(append(again, mac...)); enc != token {
			t.Fatalf("%q parsed, but its parts encode to %q", token, enc)
		}
	})
}
