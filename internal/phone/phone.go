// Package phone normalizes phone numbers to E.164 ("+8613711110001") with
// Google's numbering plans (github.com/nyaruka/phonenumbers), so one
// number typed in any of its forms — "+86 137 1111 0001", "13711110001",
// "008613711110001" — is one number to the shop and to its per-person
// limits. A number without a country code is read in the default region
// (SHOPBOT_DEFAULT_REGION). A leaf: text in, text out.
package phone

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid: the text is not a valid phone number.
var ErrInvalid = errors.New("not a valid phone number")

// maxLen bounds what is handed to the parser: a phone number with its
// spaces and punctuation is far shorter.
const maxLen = 40

// Normalizer reads phone numbers in one default region.
type Normalizer struct{ region string }

// New returns a Normalizer for region, an ISO 3166-1 alpha-2 code the
// numbering plans know ("CN", "RU", …; any case). An unknown region is an
// error.
func New(region string) (Normalizer, error) {
	r := strings.ToUpper(strings.TrimSpace(region))
	if !phonenumbers.GetSupportedRegions()[r] {
		return Normalizer{}, fmt.Errorf("phone region %q: want a two-letter country code such as CN", region)
	}
	return Normalizer{region: r}, nil
}

// Region is the default region.
func (n Normalizer) Region() string { return n.region }

// Normalize returns s in E.164, or ErrInvalid. It takes digits, one
// leading "+", spaces, dashes, dots and parentheses, and a number valid in
// its country's plan; letters ("tel:", vanity numbers) are refused.
func (n Normalizer) Normalize(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxLen {
		return "", ErrInvalid
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')', r == '\u00a0':
		default:
			return "", ErrInvalid
		}
	}
	if digits < 3 {
		return "", ErrInvalid
	}
	num, err := phonenumbers.Parse(s, n.region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", ErrInvalid
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}
