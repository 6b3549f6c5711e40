package commerce

import "strings"

// Identity is one channel identity of a buyer, "channel:user" as
// Buyer.Key writes it: "tg:12345", "wx:oAbc…", "web:…". Rights (seller,
// staff) belong to identities; orders, limits and notices belong to the
// person the identity is linked into (person.go).
type Identity string

// Identity is the buyer's identity string.
func (b Buyer) Identity() Identity { return Identity(b.Key()) }

// Buyer splits the identity at its first ":".
func (i Identity) Buyer() Buyer {
	ch, user, _ := strings.Cut(string(i), ":")
	return Buyer{Channel: ch, UserID: user}
}

// Channel is the identity's channel ("tg", "wx", "web").
func (i Identity) Channel() string { return i.Buyer().Channel }

// Valid reports whether i is shaped like a chat identity (ValidIdentity).
func (i Identity) Valid() bool { return ValidIdentity(string(i)) }

// String returns the identity as it is stored.
func (i Identity) String() string { return string(i) }
