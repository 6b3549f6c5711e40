package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shopbot/commerce"
)

// What the per-person limits count, read inside the transaction that holds
// the person's lock (persons.go): a count read there stays true until the
// commit, because every write that changes it takes the same lock.

// usage names the parts of commerce.OpenUsage a caller needs.
type usage int

const (
	usageOrders       usage = 1 << iota // open orders and their units
	usageReservations                   // live drop reservations
	usageWaitlists                      // waitlist places and pending subscriptions
	usageSuspension                     // a lapsed order lately
)

// followWindow is how long after its start a drop's waitlist and
// subscriptions count against their person: a place on the waitlist of a
// drop long over is no claim on anything (the gate's live drops use the
// same window).
const followWindow = liveDropWindow

// OpenUsage implements commerce.PersonStore.
func (s *Store) OpenUsage(ctx context.Context, id commerce.Identity, phone string, now time.Time, ban time.Duration) (commerce.OpenUsage, error) {
	p, err := s.personOf(ctx, s.db, id)
	if err != nil {
		return commerce.OpenUsage{}, err
	}
	return s.openUsage(ctx, s.db, p.ids, phone, now, ban, usageOrders|usageReservations|usageWaitlists|usageSuspension)
}

// openUsage counts the parts asked for of what the identities ids (one
// person) and phone have open at now.
func (s *Store) openUsage(ctx context.Context, q querier, ids []commerce.Identity, phone string, now time.Time, ban time.Duration, parts usage) (commerce.OpenUsage, error) {
	var u commerce.OpenUsage
	if parts&usageOrders != 0 {
		statuses := make([]any, len(commerce.OpenStatuses))
		for i, st := range commerce.OpenStatuses {
			statuses[i] = string(st)
		}
		who, args := orderOwners(len(statuses)+1, ids, phone)
		err := q.QueryRowContext(ctx, `SELECT COUNT(DISTINCT o.id), COALESCE(SUM(l.qty), 0)
			FROM orders o JOIN order_lines l ON l.order_id = o.id
			WHERE o.status IN (`+placeholders(1, len(statuses))+`) AND `+who, append(statuses, args...)...).Scan(&u.Orders, &u.Units)
		if err != nil {
			return u, fmt.Errorf("open orders: %w", s.mapErr(err))
		}
	}
	if parts&usageSuspension != 0 && ban > 0 {
		who, args := orderOwners(2, ids, phone)
		var lapsed int64
		err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(c.hold_alerted_at), 0)
			FROM pickup_codes c JOIN orders o ON o.id = c.order_id
			WHERE c.hold_alerted_at > $1 AND c.hold_alerted_at > 0 AND c.redeemed_at = 0 AND `+who, append([]any{ms(now.Add(-ban))}, args...)...).Scan(&lapsed)
		if err != nil {
			return u, fmt.Errorf("lapsed orders: %w", s.mapErr(err))
		}
		if lapsed > 0 {
			u.SuspendedTill = fromMS(lapsed).Add(ban)
		}
	}
	if parts&usageReservations != 0 {
		in, args := identityIn("buyer", 3, ids)
		err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM drop_reservations
			WHERE status = $1 AND expires_at > $2 AND `+in, append([]any{string(commerce.DropReserved), ms(now)}, args...)...).Scan(&u.Reservations)
		if err != nil {
			return u, fmt.Errorf("live reservations: %w", s.mapErr(err))
		}
	}
	if parts&usageWaitlists != 0 {
		inW, args := identityIn("w.buyer", 3, ids)
		inS, _ := identityIn("f.buyer", 3, ids)
		err := q.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM drop_waitlist w JOIN drops d ON d.id = w.drop_id
				WHERE w.status = $1 AND d.cancelled_at = 0 AND d.starts_at > $2 AND `+inW+`) +
			(SELECT COUNT(*) FROM drop_subscribers f JOIN drops d ON d.id = f.drop_id
				WHERE f.notified_at IS NULL AND d.cancelled_at = 0 AND d.starts_at > $2 AND `+inS+`)`,
			append([]any{string(commerce.DropWaiting), ms(now.Add(-followWindow))}, args...)...).Scan(&u.Waitlists)
		if err != nil {
			return u, fmt.Errorf("waitlists: %w", s.mapErr(err))
		}
	}
	return u, nil
}

// orderOwners is the condition "o was placed by one of ids, or for phone"
// over orders AS o, its parameters numbered from from.
func orderOwners(from int, ids []commerce.Identity, phone string) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString("(")
	for i, id := range ids {
		if i > 0 {
			b.WriteString(" OR ")
		}
		n := from + len(args)
		b.WriteString("(o.channel = $" + strconv.Itoa(n) + " AND o.user_id = $" + strconv.Itoa(n+1) + ")")
		buyer := id.Buyer()
		args = append(args, buyer.Channel, buyer.UserID)
	}
	if phone != "" {
		b.WriteString(" OR o.phone = $" + strconv.Itoa(from+len(args)))
		args = append(args, phone)
	}
	b.WriteString(")")
	return b.String(), args
}

// anyLimit reports whether lim limits anything at all.
func anyLimit(lim commerce.PersonLimits) bool { return lim != (commerce.PersonLimits{}) }

// checkOrderLimits locks buyer's person and phone in tx and refuses an
// order of units more that lim does not allow (a *commerce.LimitError).
// It returns the person's identities.
func (s *Store) checkOrderLimits(ctx context.Context, tx *sql.Tx, buyer commerce.Identity, phone string, units int, now time.Time, lim commerce.PersonLimits) ([]commerce.Identity, error) {
	ps, err := s.lockPersons(ctx, tx, []commerce.Identity{buyer}, phone)
	if err != nil {
		return nil, err
	}
	ids := ps[buyer].ids
	u, err := s.openUsage(ctx, tx, ids, phone, now, lim.LapseBan, usageOrders|usageSuspension)
	if err != nil {
		return nil, err
	}
	return ids, lim.CheckOrder(u, units, now)
}
