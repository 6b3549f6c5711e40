package commerce

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// PickupCode is the secret an order is collected with: 6 digits, unique
// among the unredeemed codes of its point, issued when the order becomes
// ready for pickup.
type PickupCode struct {
	OrderID    int64
	PointID    int64
	Code       string    // 6 digits
	ReadyAt    time.Time // when the order became ready_for_pickup (the hold period runs from here)
	ExpiresAt  time.Time // the code and its token stop working at this instant (whole seconds)
	RedeemedAt time.Time // zero until collected
	RedeemedBy string    // staff identity
}

// Redeemed reports whether the order was collected with this code.
func (c PickupCode) Redeemed() bool { return !c.RedeemedAt.IsZero() }

// PickupPass is what the buyer shows at the counter: the code to read out
// and a signed token to put in a QR code.
type PickupPass struct {
	PickupCode
	Token string
}

// NewPickupCode returns 6 uniformly random digits from crypto/rand.
func NewPickupCode() string {
	const limit = 1<<32 - (1<<32)%1000000 // reject the uneven tail
	var b [4]byte
	for {
		_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
		if v := binary.BigEndian.Uint32(b[:]); v < limit {
			return fmt.Sprintf("%06d", v%1000000)
		}
	}
}

// PickupClaims is what a pickup token vouches for: this code collects this
// order at this point until Expires.
type PickupClaims struct {
	OrderID int64
	PointID int64
	Code    string
	Expires time.Time // whole seconds
}

// TokenPrefix starts every pickup token; it versions the format and lets a
// scanned QR (or a URL carrying the token) be told apart from a typed code.
const TokenPrefix = "P1."

const (
	tokenBody = 8 + 8 + 8 + 6 // order id, point id, expiry (unix s), code
	tokenMAC  = sha256.Size
	tokenLen  = len(TokenPrefix) + (4*(tokenBody+tokenMAC)+2)/3 // unpadded base64
)

// tokenDomain separates these MACs from any other use of the secret.
const tokenDomain = "shopbot pickup token v1\x00"

func tokenMACOf(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(tokenDomain))
	m.Write(body)
	return m.Sum(nil)
}

// SignPickupToken returns "P1." + base64url(order id, point id, expiry,
// code, HMAC-SHA256 of them under secret). The same claims always give the
// same token, so it need not be stored.
func SignPickupToken(secret []byte, c PickupClaims) string {
	body := make([]byte, 0, tokenBody+tokenMAC)
	body = binary.BigEndian.AppendUint64(body, uint64(c.OrderID))
	body = binary.BigEndian.AppendUint64(body, uint64(c.PointID))
	body = binary.BigEndian.AppendUint64(body, uint64(c.Expires.Unix()))
	code := [6]byte{'0', '0', '0', '0', '0', '0'}
	copy(code[:], c.Code)
	body = append(body, code[:]...)
	body = append(body, tokenMACOf(secret, body)...)
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(body)
}

// VerifyPickupToken checks a token's signature in constant time and returns
// its claims. ErrWrongCode if it is malformed or the signature does not
// match; ErrCodeExpired if it is genuine but expired at now.
func VerifyPickupToken(secret []byte, token string, now time.Time) (PickupClaims, error) {
	rest, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok || len(token) != tokenLen {
		return PickupClaims{}, fmt.Errorf("malformed pickup token: %w", ErrWrongCode)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil || len(raw) != tokenBody+tokenMAC {
		return PickupClaims{}, fmt.Errorf("malformed pickup token: %w", ErrWrongCode)
	}
	body, mac := raw[:tokenBody], raw[tokenBody:]
	if !hmac.Equal(mac, tokenMACOf(secret, body)) {
		return PickupClaims{}, fmt.Errorf("pickup token signature: %w", ErrWrongCode)
	}
	c := PickupClaims{
		OrderID: int64(binary.BigEndian.Uint64(body[0:8])),
		PointID: int64(binary.BigEndian.Uint64(body[8:16])),
		Expires: time.Unix(int64(binary.BigEndian.Uint64(body[16:24])), 0).UTC(),
		Code:    string(body[24:30]),
	}
	if !now.Before(c.Expires) {
		return c, fmt.Errorf("pickup token expired %s: %w", c.Expires.Format(time.RFC3339), ErrCodeExpired)
	}
	return c, nil
}

// RedeemInput is what staff entered to collect an order: either a typed
// 6-digit code or a token read from the buyer's QR code.
type RedeemInput struct {
	Code  string
	Token string
}

// maxRedeemInput bounds what ParseRedeemInput looks at.
const maxRedeemInput = 2048

// ParseRedeemInput reads staff input: a token anywhere in the text (a bare
// "P1.…" token or a URL carrying one, as decoded from a QR code), or else a
// 6-digit code, possibly written "123 456" or "123-456" or with full-width
// digits. ErrWrongCode for anything else.
func ParseRedeemInput(s string) (RedeemInput, error) {
	if len(s) > maxRedeemInput || !utf8.ValidString(s) {
		return RedeemInput{}, fmt.Errorf("redeem input: %w", ErrWrongCode)
	}
	if i := strings.Index(s, TokenPrefix); i >= 0 {
		tok := s[i:]
		end := len(TokenPrefix)
		for end < len(tok) && isBase64URL(tok[end]) {
			end++
		}
		if end == tokenLen {
			return RedeemInput{Token: tok[:end]}, nil
		}
		return RedeemInput{}, fmt.Errorf("redeem input: malformed token: %w", ErrWrongCode)
	}
	var code []byte
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			code = append(code, byte(r))
		case r >= '０' && r <= '９':
			code = append(code, byte('0'+r-'０'))
		case r == '-' || r == '–' || unicode.IsSpace(r):
		default:
			return RedeemInput{}, fmt.Errorf("redeem input: %w", ErrWrongCode)
		}
		if len(code) > 6 {
			return RedeemInput{}, fmt.Errorf("redeem input: %w", ErrWrongCode)
		}
	}
	if len(code) != 6 {
		return RedeemInput{}, fmt.Errorf("redeem input: %w", ErrWrongCode)
	}
	return RedeemInput{Code: string(code)}, nil
}

func isBase64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// ValidPickupCode reports whether s is exactly 6 ASCII digits.
func ValidPickupCode(s string) bool { return len(s) == 6 && allDigits(s) }

// FirstName is what staff see of the buyer's contact name: the first word
// ("Alice Li" → "Alice"); a single word in a script written without spaces
// keeps its first character and masks the rest ("李小明" → "李**").
func FirstName(contact string) string {
	fields := strings.Fields(contact)
	if len(fields) == 0 {
		return ""
	}
	first := fields[0]
	if len(fields) > 1 {
		return first
	}
	r, size := utf8.DecodeRuneInString(first)
	if unicode.In(r, unicode.Han, unicode.Hangul, unicode.Hiragana, unicode.Katakana) && size < len(first) {
		return string(r) + strings.Repeat("*", utf8.RuneCountInString(first)-1)
	}
	return first
}
