package bot

import (
	"context"
	"errors"
	"shopbot/commerce"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// "+1" on a group post (the jielong chain): a tap holds one unit of the drop for the
// member, once per member at a time, and names them on the post. Part of
// GroupPosts (groupposts.go).

// TakeOutcome is the answer to a "+1" tap.
type TakeOutcome struct {
	Key      string // the toast's text key
	Position int    // the taker's place in the chain (taken or already taken)
	// New: a unit was reserved by this tap (the taker is told privately).
	New         bool
	Drop        commerce.Drop
	Title       string
	Reservation commerce.DropReservation
	Expires     time.Time // the reservation's expiry in the shop's zone
	// FinishURL opens the drop in the private chat ("" when the platform
	// makes no links).
	FinishURL string
}

// chainKey is the reservation key of a member's "+1" in a drop after gen
// earlier ones lapsed unused (generation 0 has no suffix).
func chainKey(dropID int64, b commerce.Buyer, gen int) string {
	k := "chain:" + strconv.FormatInt(dropID, 10) + ":" + b.Key()
	if gen > 0 {
		k += ":" + strconv.Itoa(gen)
	}
	return k
}

// chainTakeKey is the key a member's tap reserves with: the first
// generation that has no reservation yet or one that still stands (live,
// or ordered). Lapsed generations (expired, released, or past their expiry
// before the job ran) are stepped over. Racing taps walk the same keys in
// the same order and stop at the same one, so the key's uniqueness in the
// store still makes one reservation of them; a tap steps past a key only
// once its reservation exists and is dead, which no later tap can undo.
// ok=false when the member let maxChainGenerations units lapse.
func (g *GroupPosts) chainTakeKey(ctx context.Context, dropID int64, b commerce.Buyer) (key string, ok bool, err error) {
	now := g.o.Clock.Now()
	for gen := range maxChainGenerations {
		key := chainKey(dropID, b, gen)
		r, err := g.o.Store.DropReservationByKey(ctx, key)
		if errors.Is(err, commerce.ErrNotFound) {
			return key, true, nil
		}
		if err != nil {
			return "", false, err
		}
		switch {
		case r.Status == commerce.DropExpired, r.Status == commerce.DropReleased:
		case r.Status == commerce.DropReserved && !now.Before(r.ExpiresAt):
			// Ran out but its expiry job has not run: expire it now (once,
			// whoever is first), so its unit counts against the member's
			// limit no more when the next generation reserves.
			if _, err := g.o.Drops.Expire(ctx, r.ID); err != nil {
				return "", false, err
			}
		default:
			return key, true, nil
		}
	}
	return "", false, nil
}

// Take handles a "+1" on the drop's post in chatID: one unit reserved for
// the member (the same reservation on every repeated tap while it stands,
// a new one once it lapsed unused) and their name (once)
// added to the post's takers. Refusals (not started, sold out, limit
// reached, an old post) come back as an outcome with a toast key and
// change nothing; an error is returned only for failures.
func (g *GroupPosts) Take(ctx context.Context, dropID int64, channel, chatID, userID, firstName, lang string) (TakeOutcome, error) {
	post, err := g.o.Store.DropPost(ctx, dropID, channel, chatID)
	if errors.Is(err, commerce.ErrNotFound) {
		return TakeOutcome{Key: "gp_toast_stale"}, nil
	}
	if err != nil {
		return TakeOutcome{}, err
	}
	buyer := commerce.Buyer{Channel: channel, UserID: userID}
	key, ok, err := g.chainTakeKey(ctx, dropID, buyer)
	if err != nil {
		return TakeOutcome{}, err
	}
	if !ok {
		return TakeOutcome{Key: "gp_toast_expired"}, nil
	}
	r, err := g.o.Drops.Reserve(ctx, dropID, buyer, 1, key)
	if ue, ok := surfaceText(err, InToast); ok { // not started, cancelled, sold out, at the limit, gone
		return TakeOutcome{Key: ue.Key}, nil
	}
	if err != nil {
		return TakeOutcome{}, err
	}
	if r.Status == commerce.DropExpired {
		return TakeOutcome{Key: "gp_toast_expired"}, nil
	}
	pos, _, err := g.o.Store.AddDropTaker(ctx, commerce.DropTaker{PostID: post.ID, UserID: userID,
		Name: g.takerName(firstName), ReservationID: r.ID, CreatedAt: g.o.Clock.Now()})
	if err != nil {
		return TakeOutcome{}, err
	}
	out := TakeOutcome{Key: "gp_toast_taken", Position: pos, New: !r.Replayed, Reservation: r}
	if r.Replayed {
		out.Key = "gp_toast_already"
	}
	if !out.New {
		return out, nil
	}
	// What the taker is told privately; without it the toast still stands.
	if out.Drop, err = g.o.Store.Drop(ctx, dropID); err != nil {
		return out, err
	}
	prod, err := g.o.Store.Product(ctx, out.Drop.ProductID)
	if err != nil {
		return out, err
	}
	out.Title = prod.Title.In(lang)
	out.Expires = r.ExpiresAt.In(g.o.Zone)
	out.FinishURL = g.deepLink(channel, "d_"+out.Drop.Code)
	return out, nil
}

// takerName is what the post lists for a member, per the Names setting:
// their first name cut to maxTakerName characters without control or
// formatting characters, its first letter, or nothing.
func (g *GroupPosts) takerName(first string) string {
	if g.o.Names == NamesNone {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(first) {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			continue
		}
		if unicode.IsSpace(r) {
			r = ' '
		}
		b.WriteRune(r)
		if n++; n == maxTakerName {
			break
		}
	}
	name := strings.TrimSpace(b.String())
	if name == "" {
		return "?"
	}
	if g.o.Names == NamesInitials {
		r, _ := utf8.DecodeRuneInString(name)
		return string(unicode.ToUpper(r)) + "."
	}
	return name
}
