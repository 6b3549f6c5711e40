package commerce

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func TestNewPickupCode(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	var digits [10]int
	for range 2000 {
		c := NewPickupCode()
		if !ValidPickupCode(c) {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
		for _, r := range c {
			digits[r-'0']++
		}
	}
	if len(seen) < 1990 {
		t.Fatalf("only %d distinct codes of 2000", len(seen))
	}
	for d, n := range digits { // 1200 expected per digit
		if n < 900 || n > 1500 {
			t.Fatalf("digit %d appears %d times of 12000", d, n)
		}
	}
}

func TestPickupToken(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	c := PickupClaims{OrderID: 42, PointID: 7, Code: "012345", Expires: now.Add(time.Hour)}
	tok := SignPickupToken(testSecret, c)
	if !strings.HasPrefix(tok, TokenPrefix) || len(tok) != tokenLen || tok != SignPickupToken(testSecret, c) {
		t.Fatalf("token %q (len %d)", tok, len(tok))
	}
	got, err := VerifyPickupToken(testSecret, tok, now)
	if err != nil || got != c {
		t.Fatalf("Verify = %+v, %v; want %+v", got, err, c)
	}
	if _, err := VerifyPickupToken(testSecret, tok, c.Expires); !errors.Is(err, ErrCodeExpired) {
		t.Fatalf("at expiry err = %v; want ErrCodeExpired", err)
	}
	if _, err := VerifyPickupToken([]byte("another secret, also 32 bytes lo"), tok, now); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("other secret err = %v", err)
	}
	// Any change to any character is rejected.
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := len(TokenPrefix); i < len(tok); i++ {
		for _, r := range []byte{alphabet[(strings.IndexByte(alphabet, tok[i])+1)%64], alphabet[(strings.IndexByte(alphabet, tok[i])+33)%64]} {
			bad := tok[:i] + string(r) + tok[i+1:]
			if _, err := VerifyPickupToken(testSecret, bad, now); !errors.Is(err, ErrWrongCode) {
				t.Fatalf("tampered at %d (%q) err = %v", i, bad, err)
			}
		}
	}
	// Claims re-signed with other values under a guessed key do not verify.
	forged := SignPickupToken([]byte("guess"), PickupClaims{OrderID: 42, PointID: 8, Code: "012345", Expires: c.Expires})
	if _, err := VerifyPickupToken(testSecret, forged, now); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("forged err = %v", err)
	}
	for _, bad := range []string{"", TokenPrefix, tok[:len(tok)-1], tok + "A", "P2." + tok[3:], strings.ToLower(tok[:3]) + tok[3:]} {
		if _, err := VerifyPickupToken(testSecret, bad, now); !errors.Is(err, ErrWrongCode) {
			t.Errorf("Verify(%q) err = %v", bad, err)
		}
	}
}

func TestParseRedeemInput(t *testing.T) {
	t.Parallel()
	tok := SignPickupToken(testSecret, PickupClaims{OrderID: 1, PointID: 2, Code: "123456", Expires: time.Unix(2e9, 0)})
	for _, tc := range []struct {
		in   string
		want RedeemInput
	}{
		{"123456", RedeemInput{Code: "123456"}},
		{" 123 456 ", RedeemInput{Code: "123456"}},
		{"123-456", RedeemInput{Code: "123456"}},
		{"１２３４５６", RedeemInput{Code: "123456"}},
		{"000000", RedeemInput{Code: "000000"}},
		{tok, RedeemInput{Token: tok}},
		{"https://shop.example/staff?t=" + tok + "&x=1", RedeemInput{Token: tok}},
		{"\n" + tok + "\n", RedeemInput{Token: tok}},
	} {
		got, err := ParseRedeemInput(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseRedeemInput(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", "١٢٣٤٥٦", "123456" + strings.Repeat(" ", 3000),
		TokenPrefix + "abc", tok[:40], tok + "x", "\xff123456"} {
		if got, err := ParseRedeemInput(bad); !errors.Is(err, ErrWrongCode) {
			t.Errorf("ParseRedeemInput(%q) = %+v, %v; want ErrWrongCode", bad, got, err)
		}
	}
}

// FuzzParseRedeemInput: whatever staff type or a QR code holds, parsing never
// panics, yields exactly one of a 6-digit code or a well-formed token, and a
// token only verifies if it is genuine.
func FuzzParseRedeemInput(f *testing.F) {
	tok := SignPickupToken(testSecret, PickupClaims{OrderID: 9, PointID: 3, Code: "654321", Expires: time.Unix(2e9, 0)})
	for _, s := range []string{"123456", "12 34 56", "１２３４５６", tok, "see " + tok, tok[:50], "P1.", "", "--------"} {
		f.Add(s)
	}
	now := time.Unix(1.9e9, 0)
	f.Fuzz(func(t *testing.T, s string) {
		in, err := ParseRedeemInput(s)
		if err != nil {
			if !errors.Is(err, ErrWrongCode) {
				t.Fatalf("error %v does not match ErrWrongCode", err)
			}
			return
		}
		switch {
		case in.Code != "" && in.Token != "", in.Code == "" && in.Token == "":
			t.Fatalf("ParseRedeemInput(%q) = %+v", s, in)
		case in.Code != "" && !ValidPickupCode(in.Code):
			t.Fatalf("code %q", in.Code)
		case in.Token != "":
			if !strings.Contains(s, in.Token) || len(in.Token) != tokenLen {
				t.Fatalf("token %q not from %q", in.Token, s)
			}
			c, err := VerifyPickupToken(testSecret, in.Token, now)
			if err == nil && in.Token != tok {
				t.Fatalf("forged token %q verified as %+v", in.Token, c)
			}
		}
	})
}

func TestFirstName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Alice Li": "Alice", "  Ann  ": "Ann", "李小明": "李**", "李": "李",
		"Иван Петров": "Иван", "김민준": "김**", "": ""} {
		if got := FirstName(in); got != want {
			t.Errorf("FirstName(%q) = %q; want %q", in, got, want)
		}
	}
}
