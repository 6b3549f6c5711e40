package commerce

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Person is one buyer behind several channel identities linked together:
// the same woman on Telegram, in the WeChat Official Account and in the web
// chat. Her orders, drop limits, "notify me" subscriptions and waitlist
// places belong to the person: each stays recorded under the identity that
// made it, and the person is whoever is linked with that identity now, so
// unlinking leaves each with the identity that placed it.
//
// Rights never do: seller and staff rights belong to identities
// (SHOPBOT_ADMINS, a point's staff list), and linking grants none.
type Person struct {
	// ID is 0 for an identity linked to no other: a person of one.
	ID int64
	// Identities are the person's identities in the order they were linked
	// (a person of one has just the one asked about).
	Identities []PersonIdentity
	// NoticeTo is the identity the person chose to get notices on; "" is
	// the one used last.
	NoticeTo Identity
}

// PersonIdentity is one identity of a person.
type PersonIdentity struct {
	Identity Identity
	LinkedAt time.Time // zero for a person of one
	LastSeen time.Time // when it last wrote, recorded at most every few minutes
}

// Has reports whether id is one of the person's identities.
func (p Person) Has(id Identity) bool {
	for _, pi := range p.Identities {
		if pi.Identity == id {
			return true
		}
	}
	return false
}

// Linked reports whether the person has more than one identity.
func (p Person) Linked() bool { return len(p.Identities) > 1 }

// NoticeTarget is the identity the person's notices go to: the one chosen,
// else the one seen last, else fallback (the identity the notice is for).
func (p Person) NoticeTarget(fallback Identity) Identity {
	if p.NoticeTo != "" && p.Has(p.NoticeTo) {
		return p.NoticeTo
	}
	best, seen := fallback, time.Time{}
	for _, pi := range p.Identities {
		if pi.LastSeen.After(seen) {
			best, seen = pi.Identity, pi.LastSeen
		}
	}
	return best
}

// PersonLinks answers the one question every "is it the buyer's own?"
// check asks (orders, reservations, returns).
type PersonLinks interface {
	// SamePerson reports whether a and b are one identity or linked into one person.
	SamePerson(ctx context.Context, a, b Identity) (bool, error)
}

// ErrPersonFull: linking would give a person more identities than allowed.
var ErrPersonFull = errors.New("person has too many linked identities")

// PersonStore keeps who is who: identities linked into persons and the
// one-time codes that link them. A store takes a lock per person (and per
// phone number) in every transaction that counts against the person's
// limits, and linking takes the locks of both persons it joins, so a
// count is never decided on a person that changes before the commit.
type PersonStore interface {
	PersonLinks
	// PersonOf returns the person id belongs to, with every identity
	// linked into it; an identity linked to none is a person of one
	// (ID 0, Identities = [id]).
	PersonOf(ctx context.Context, id Identity) (Person, error)
	// LinkIdentities joins the persons of a and b into one, in one
	// transaction holding both persons' locks: everything linked with
	// either is linked with both afterwards. b, the identity that
	// confirms, is recorded as used at at. Linking two identities
	// already linked returns their person unchanged. ErrInvalid if a == b
	// or either is malformed; ErrPersonFull if the person would have more
	// than max identities (nothing changes then).
	LinkIdentities(ctx context.Context, a, b Identity, max int, at time.Time) (Person, error)
	// UnlinkIdentity takes id out of its person under the person's lock;
	// a person left with one identity is dissolved (a person of one needs
	// no row). The choice of notice identity goes with id when it was id.
	// ErrNotFound if id is linked to no other identity.
	UnlinkIdentity(ctx context.Context, id Identity) error
	// SetNoticeIdentity makes to the identity id's person gets notices
	// on; "" goes back to the one used last. ErrNotFound if to is not an
	// identity of the person, or id is linked to none.
	SetNoticeIdentity(ctx context.Context, id, to Identity) error
	// SeeIdentity records that a linked identity wrote at at; it writes
	// nothing for an identity linked to none (a passing visitor leaves no row).
	SeeIdentity(ctx context.Context, id Identity, at time.Time) error
	// CreateLinkCode stores a link code by its hash for id until expires.
	// ErrConflict if the hash exists (draw another code).
	CreateLinkCode(ctx context.Context, hash string, id Identity, created, expires time.Time) error
	// RedeemLinkCode uses a link code once, in one transaction holding the
	// lock of by: while by has lim.N or more failed attempts since
	// now-lim.Per it refuses with ErrRateLimited without looking at the
	// code (so of concurrent guesses exactly the allowance is evaluated);
	// otherwise it marks the code used by by if it is unused, unexpired
	// and someone else's, and returns the identity that asked for it. A
	// code by used already returns that identity again (a retried
	// message). ErrInvalid for by's own code (nothing recorded); an
	// unknown or used code is ErrWrongCode and an expired one
	// ErrCodeExpired, each recorded as a failed attempt of by.
	RedeemLinkCode(ctx context.Context, hash string, by Identity, now time.Time, lim Limit) (Identity, error)
	// PruneLinkCodes deletes codes that expired and failed attempts made before before.
	PruneLinkCodes(ctx context.Context, before time.Time) (int64, error)
	// OpenUsage is what id's person has open at now as PersonLimits
	// count it, with the orders of phone (when not empty) counted too,
	// whoever placed them. Suspension counts orders that lapsed since
	// now-ban (none when ban <= 0).
	OpenUsage(ctx context.Context, id Identity, phone string, now time.Time, ban time.Duration) (OpenUsage, error)
}

// Link codes: LinkCodeLen letters of this alphabet (no 0/O, 1/I/L), shown
// in two groups of four, "K7Q2-M9XA": 31^8 ≈ 8.5e11 codes, a handful
// alive at a time, and a few guesses per identity per ten minutes.
const (
	LinkCodeLen      = 8
	linkCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
)

// LinkCode is a one-time code that links the identity that asked for it
// with the identity that enters it, until ExpiresAt.
type LinkCode struct {
	Code      string // LinkCodeLen letters, as ParseLinkCode returns them
	Identity  Identity
	ExpiresAt time.Time
}

// Display is the code as shown: "K7Q2-M9XA".
func (c LinkCode) Display() string { return DisplayLinkCode(c.Code) }

// DisplayLinkCode writes a code in two groups of four.
func DisplayLinkCode(code string) string {
	if len(code) != LinkCodeLen {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// newLinkCode draws LinkCodeLen letters from crypto/rand without bias.
func newLinkCode() string {
	out := make([]byte, 0, LinkCodeLen)
	var buf [16]byte
	for len(out) < LinkCodeLen {
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never returns an error
		for _, c := range buf {
			if int(c) < 256/len(linkCodeAlphabet)*len(linkCodeAlphabet) && len(out) < LinkCodeLen {
				out = append(out, linkCodeAlphabet[int(c)%len(linkCodeAlphabet)])
			}
		}
	}
	return string(out)
}

// ParseLinkCode reads a code as a person types it: any case, with spaces
// or dashes. ok is false when it cannot be a code (no attempt is worth
// recording then).
func ParseLinkCode(s string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(strings.TrimSpace(s)) {
		switch {
		case r == ' ' || r == '-' || r == '\u00a0':
		case r < 128 && strings.IndexByte(linkCodeAlphabet, byte(r)) >= 0:
			b.WriteRune(r)
		default:
			return "", false
		}
		if b.Len() > LinkCodeLen {
			return "", false
		}
	}
	if b.Len() != LinkCodeLen {
		return "", false
	}
	return b.String(), true
}

// linkCodeHash is what the store keeps of a code: a leaked table links nobody.
func linkCodeHash(code string) string {
	sum := sha256.Sum256([]byte("shopbot link code\x00" + code))
	return hex.EncodeToString(sum[:])
}

// PersonsOptions configures a Persons service; zero values take the defaults shown.
type PersonsOptions struct {
	Store PersonStore
	Clock Clock // default SystemClock
	// CodeTTL is how long a link code works (10 min).
	CodeTTL time.Duration
	// Attempts is how many wrong codes one identity may enter (5 per 10 min).
	Attempts Limit
	// MaxIdentities bounds the identities of one person (8).
	MaxIdentities int
}

// Persons links identities into persons: one-time codes entered in the
// other chat, trusted links (a web page signed in with WeChat OAuth is
// wx:<openid>), unlinking, and where a person's notices go.
type Persons struct {
	store    PersonStore
	clock    Clock
	ttl      time.Duration
	attempts Limit
	max      int
}

// NewPersons builds the service with defaults filled in.
func NewPersons(o PersonsOptions) *Persons {
	p := &Persons{store: o.Store, clock: o.Clock, ttl: o.CodeTTL, attempts: o.Attempts, max: o.MaxIdentities}
	if p.clock == nil {
		p.clock = SystemClock
	}
	if p.ttl <= 0 {
		p.ttl = 10 * time.Minute
	}
	if p.attempts.N <= 0 || p.attempts.Per <= 0 {
		p.attempts = Limit{N: 5, Per: 10 * time.Minute}
	}
	if p.max <= 0 {
		p.max = 8
	}
	return p
}

// Now is the service's clock.
func (p *Persons) Now() time.Time { return p.clock.Now() }

// CodeTTL is how long a link code works.
func (p *Persons) CodeTTL() time.Duration { return p.ttl }

// NewLinkCode gives id a fresh one-time code to enter in another chat.
// ErrInvalid for a malformed identity.
func (p *Persons) NewLinkCode(ctx context.Context, id Identity) (LinkCode, error) {
	if !id.Valid() {
		return LinkCode{}, fmt.Errorf("link code for %q: %w", id, ErrInvalid)
	}
	now := p.clock.Now()
	c := LinkCode{Identity: id, ExpiresAt: now.Add(p.ttl)}
	var err error
	for range 5 {
		c.Code = newLinkCode()
		err = p.store.CreateLinkCode(ctx, linkCodeHash(c.Code), id, now, c.ExpiresAt)
		if !errors.Is(err, ErrConflict) {
			break
		}
	}
	if err != nil {
		return LinkCode{}, err
	}
	return c, nil
}

// RedeemLinkCode uses a code typed in by's chat and returns the identity
// that asked for it; the caller confirms with the person, then calls Link.
// Errors: ErrWrongCode (also for what cannot be a code), ErrCodeExpired,
// ErrRateLimited, ErrInvalid (by's own code) — see
// PersonStore.RedeemLinkCode.
func (p *Persons) RedeemLinkCode(ctx context.Context, by Identity, input string) (Identity, error) {
	if !by.Valid() {
		return "", fmt.Errorf("redeem by %q: %w", by, ErrInvalid)
	}
	code, ok := ParseLinkCode(input)
	if !ok {
		return "", fmt.Errorf("link code %q: %w", input, ErrWrongCode)
	}
	return p.store.RedeemLinkCode(ctx, linkCodeHash(code), by, p.clock.Now(), p.attempts)
}

// Link joins a and b into one person, trusting the caller that they are
// the same human: after a confirmed code, or when a web page signed in
// with WeChat OAuth (web identity and wx:<openid>). Linking grants no
// rights. Errors as PersonStore.LinkIdentities.
func (p *Persons) Link(ctx context.Context, a, b Identity) (Person, error) {
	if !a.Valid() || !b.Valid() || a == b {
		return Person{}, fmt.Errorf("link %q with %q: %w", a, b, ErrInvalid)
	}
	return p.store.LinkIdentities(ctx, a, b, p.max, p.clock.Now())
}

// Unlink takes id out of its person. Each order, reservation and place
// stays with the identity that made it. ErrNotFound if id is linked to none.
func (p *Persons) Unlink(ctx context.Context, id Identity) error {
	return p.store.UnlinkIdentity(ctx, id)
}

// Person returns id's person (a person of one when linked to none).
func (p *Persons) Person(ctx context.Context, id Identity) (Person, error) {
	return p.store.PersonOf(ctx, id)
}

// Identities lists the identities of id's person, id included: the web
// chat shows the history of each of the person's web identities.
func (p *Persons) Identities(ctx context.Context, id Identity) ([]Identity, error) {
	per, err := p.store.PersonOf(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]Identity, 0, len(per.Identities))
	for _, pi := range per.Identities {
		out = append(out, pi.Identity)
	}
	return out, nil
}

// SetNoticeIdentity chooses where the person's notices go ("" = the
// chat used last). Errors as PersonStore.SetNoticeIdentity.
func (p *Persons) SetNoticeIdentity(ctx context.Context, id, to Identity) error {
	return p.store.SetNoticeIdentity(ctx, id, to)
}

// NoticeTarget is the identity a notice for id goes to: the chat its
// person chose, else the one used last, else id itself.
func (p *Persons) NoticeTarget(ctx context.Context, id Identity) (Identity, error) {
	per, err := p.store.PersonOf(ctx, id)
	if err != nil {
		return id, err
	}
	return per.NoticeTarget(id), nil
}

// See records that id wrote now (only a linked identity keeps a record).
func (p *Persons) See(ctx context.Context, id Identity) error {
	return p.store.SeeIdentity(ctx, id, p.clock.Now())
}

// SamePerson reports whether a and b are one identity or linked.
func (p *Persons) SamePerson(ctx context.Context, a, b Identity) (bool, error) {
	if a == b {
		return true, nil
	}
	return p.store.SamePerson(ctx, a, b)
}

// Prune deletes expired link codes and old failed attempts.
func (p *Persons) Prune(ctx context.Context) (int64, error) {
	return p.store.PruneLinkCodes(ctx, p.clock.Now().Add(-max(p.ttl, p.attempts.Per)))
}

// ownOrder returns order id if it belongs to b's person (placed by b or
// an identity linked with b); ErrNotFound otherwise, so one buyer cannot
// learn about another's orders.
func ownOrder(ctx context.Context, st interface {
	PersonLinks
	Order(ctx context.Context, id int64) (Order, error)
}, b Buyer, id int64) (Order, error) {
	o, err := st.Order(ctx, id)
	if err != nil {
		return Order{}, err
	}
	if same, err := samePerson(ctx, st, o.Buyer, b); err != nil {
		return Order{}, err
	} else if !same {
		return Order{}, fmt.Errorf("order %d of another buyer: %w", id, ErrNotFound)
	}
	return o, nil
}

// samePerson is SamePerson for services holding a PersonStore: the one
// check "is this the buyer's own?" of orders, reservations and returns.
func samePerson(ctx context.Context, s PersonLinks, a, b Buyer) (bool, error) {
	if a == b {
		return true, nil
	}
	return s.SamePerson(ctx, a.Identity(), b.Identity())
}
