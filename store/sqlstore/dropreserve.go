package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shopbot/commerce"
	"shopbot/internal/batch"
)

// reserveReq is one Reserve call waiting for its batch.
type reserveReq struct {
	buyer commerce.Buyer
	qty   int
	key   string
	now   time.Time
	lim   commerce.PersonLimits
}

// reserveRes is its answer: a reservation or the refusal (a sentinel).
type reserveRes struct {
	r   commerce.DropReservation
	err error
}

// maxReserveBatch bounds one transaction, and so how long the drop's row
// lock is held by it and how many parameters a statement carries.
const maxReserveBatch = 128

// Reserve implements commerce.DropStore. A drop's row is the hot spot of a
// rush: every sale changes it, and its lock is held until commit. So
// concurrent calls for one drop share a transaction (internal/batch; a lone
// call is a batch of one), which locks the drop's row first, decides every
// call in order as if it were alone, and writes them all with a handful of
// set-based statements before the one commit. Taking the drop's lock first
// also orders locks the same way in every transaction, across replicas, so
// they cannot deadlock. A refused call writes nothing; a failing statement
// fails the batch, and each of its callers may retry (every call is
// idempotent on its key).
func (s *Store) Reserve(ctx context.Context, dropID int64, buyer commerce.Buyer, qty int, key string, now time.Time, lim commerce.PersonLimits) (commerce.DropReservation, error) {
	if key == "" {
		return commerce.DropReservation{}, fmt.Errorf("reserve: empty key: %w", commerce.ErrInvalid)
	}
	if qty < 1 {
		return commerce.DropReservation{}, fmt.Errorf("reserve %d: %w", qty, commerce.ErrQuantity)
	}
	b, ok := s.reserves.Load(dropID)
	if !ok {
		b, _ = s.reserves.LoadOrStore(dropID, batch.New(maxReserveBatch, func(ctx context.Context, reqs []reserveReq) ([]reserveRes, error) {
			return s.reserveBatch(ctx, dropID, reqs)
		}))
	}
	res, err := b.(*batch.Batcher[reserveReq, reserveRes]).Do(ctx, reserveReq{buyer, qty, key, now, lim})
	if err != nil {
		return commerce.DropReservation{}, err
	}
	return res.r, res.err
}

// dropTerms is what a batch reads once, under the drop's lock.
type dropTerms struct {
	id, startsMS, ttlMS int64
	cancelledMS         int64
	code                string
	left, limit         int
}

func (s *Store) reserveBatch(ctx context.Context, dropID int64, reqs []reserveReq) ([]reserveRes, error) {
	out := make([]reserveRes, len(reqs))
	err := s.inPersonTx(ctx, func(tx *sql.Tx) error {
		clear(out) // a batch that found a person changing runs again
		d := dropTerms{id: dropID}
		// A no-op update takes the row lock on every database (SQLite has
		// no FOR UPDATE; its writer lock is exclusive anyway).
		err := tx.QueryRowContext(ctx, `UPDATE drops SET units_left = units_left WHERE id = $1
			RETURNING code, units_left, per_buyer_limit, reservation_ms, starts_at, cancelled_at`, dropID).
			Scan(&d.code, &d.left, &d.limit, &d.ttlMS, &d.startsMS, &d.cancelledMS)
		if errors.Is(err, sql.ErrNoRows) {
			for i := range out {
				out[i].err = fmt.Errorf("reserve drop %d: %w", dropID, commerce.ErrNotFound)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("reserve drop %d: %w", dropID, s.mapErr(err))
		}
		return s.decideBatch(ctx, tx, &d, reqs, out)
	})
	return out, err
}

// decideBatch answers reqs in order while the drop's row is locked. With
// the lock held, nothing else changes the drop's units or its buyers'
// counts (every such change takes the drop's row first or waits for it),
// so the counts read once are the truth for the whole batch; the writes
// still carry their conditions, and a write that finds the truth moved
// fails the batch rather than oversell. The per-buyer limit counts each
// buyer's person (all its identities). The person limits across drops
// (live reservations, a suspension) are read under the persons' locks,
// taken after the drop's (persons.go).
func (s *Store) decideBatch(ctx context.Context, tx *sql.Tx, d *dropTerms, reqs []reserveReq, out []reserveRes) error {
	keys := make([]any, 0, len(reqs))
	for _, q := range reqs {
		keys = append(keys, q.key)
	}
	known, err := s.reservationsByKeys(ctx, tx, keys)
	if err != nil {
		return err
	}
	pc, err := s.batchPersons(ctx, tx, d, reqs)
	if err != nil {
		return err
	}
	taken := pc.taken

	var made []commerce.DropReservation
	var madeAt []int // index in reqs of each of made
	for i, q := range reqs {
		if r, ok := known[q.key]; ok {
			if r.DropID != d.id || r.Buyer != q.buyer {
				out[i].err = fmt.Errorf("drop reservation key %q belongs to another drop or buyer: %w", q.key, commerce.ErrConflict)
				continue
			}
			if r.ID == 0 {
				madeAt = append(madeAt, -1-i) // the same key earlier in this batch: answered after the insert
				continue
			}
			r.Replayed = true
			out[i].r = r
			continue
		}
		switch {
		case d.cancelledMS > 0:
			out[i].err = fmt.Errorf("drop %s: %w", d.code, commerce.ErrDropCancelled)
			continue
		case q.qty > d.limit || taken[pc.of(q.buyer)]+q.qty > d.limit:
			out[i].err = fmt.Errorf("reserve %d of drop %s, limit %d: %w", q.qty, d.code, d.limit, commerce.ErrDropLimit)
			continue
		case d.startsMS > ms(q.now):
			out[i].err = fmt.Errorf("drop %s starts %s: %w", d.code, fromMS(d.startsMS).Format(time.RFC3339), commerce.ErrDropNotStarted)
			continue
		case d.left < q.qty:
			out[i].err = fmt.Errorf("reserve %d of drop %s: %w", q.qty, d.code, commerce.ErrSoldOut)
			continue
		}
		if err := q.lim.CheckReservation(pc.usage(q.buyer), q.now); err != nil {
			out[i].err = fmt.Errorf("reserve %d of drop %s: %w", q.qty, d.code, err)
			continue
		}
		r := commerce.DropReservation{DropID: d.id, Buyer: q.buyer, Qty: q.qty, Key: q.key, Status: commerce.DropReserved}
		r.CreatedAt = q.now.UTC().Truncate(time.Millisecond)
		r.ExpiresAt = r.CreatedAt.Add(time.Duration(d.ttlMS) * time.Millisecond)
		known[q.key] = r
		taken[pc.of(q.buyer)] += q.qty
		pc.live[pc.of(q.buyer)]++
		d.left -= q.qty
		made = append(made, r)
		madeAt = append(madeAt, i)
	}
	if len(made) == 0 {
		return nil
	}
	if err := s.insertReservations(ctx, tx, made); err != nil {
		return err
	}
	units := 0
	for _, r := range made {
		units += r.Qty
	}
	if err := s.raiseBuyerCounts(ctx, tx, d, made); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE drops SET units_left = units_left - $1 WHERE id = $2 AND units_left >= $1`, units, d.id)
	if err != nil {
		return fmt.Errorf("reserve drop %d: %w", d.id, s.mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("reserve drop %d: units changed under the lock (%d rows, %v)", d.id, n, err)
	}
	// Hand out the answers: new reservations, then repeats of their keys
	// within the batch (double taps that arrived together).
	byKey := make(map[string]commerce.DropReservation, len(made))
	j := 0
	for _, at := range madeAt {
		if at >= 0 {
			out[at].r = made[j]
			byKey[made[j].Key] = made[j]
			j++
		}
	}
	for _, at := range madeAt {
		if at < 0 {
			i := -1 - at
			r := byKey[reqs[i].key]
			r.Replayed = true
			out[i].r = r
		}
	}
	return s.emit(ctx, tx, commerce.DropReservationsMade{Reservations: made})
}

// placeholders returns "$from, $from+1, …" for n parameters.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

func (s *Store) reservationsByKeys(ctx context.Context, tx *sql.Tx, keys []any) (map[string]commerce.DropReservation, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+dropReservationCols+` FROM drop_reservations
		WHERE idem_key IN (`+placeholders(1, len(keys))+`)`, keys...)
	if err != nil {
		return nil, fmt.Errorf("drop reservations by key: %w", s.mapErr(err))
	}
	defer rows.Close()
	out := make(map[string]commerce.DropReservation, len(keys))
	for rows.Next() {
		r, err := scanDropReservation(rows)
		if err != nil {
			return nil, fmt.Errorf("drop reservations by key: %w", err)
		}
		out[r.Key] = r
	}
	return out, rows.Err()
}

// batchCounts are the persons of a batch's buyers and what each holds,
// keyed by the person's lock name.
type batchCounts struct {
	persons map[commerce.Identity]person
	taken   map[string]int       // units in this drop
	live    map[string]int       // live reservations, all drops
	till    map[string]time.Time // pay at pickup suspended until
}

// of is the key of b's person.
func (c *batchCounts) of(b commerce.Buyer) string { return c.persons[b.Identity()].lockName() }

// usage is what b's person holds, as CheckReservation reads it.
func (c *batchCounts) usage(b commerce.Buyer) commerce.OpenUsage {
	k := c.of(b)
	return commerce.OpenUsage{Reservations: c.live[k], SuspendedTill: c.till[k]}
}

// batchPersons resolves the persons of the batch's buyers and reads what
// they hold in the drop, with a few set-based queries whatever the
// batch's size. When a request has limits across drops and the drop can
// still grant one (units left, not cancelled), it locks the persons and reads
// their live reservations and lapsed orders too; the rest of a rush, the
// "sold out" answers, costs no lock.
func (s *Store) batchPersons(ctx context.Context, tx *sql.Tx, d *dropTerms, reqs []reserveReq) (*batchCounts, error) {
	ids := make([]commerce.Identity, 0, len(reqs))
	var ban time.Duration
	locks, now := false, reqs[0].now
	for _, q := range reqs {
		ids = append(ids, q.buyer.Identity())
		locks = locks || q.lim.Reservations > 0 || q.lim.LapseBan > 0
		ban = max(ban, q.lim.LapseBan)
		if q.now.Before(now) {
			now = q.now
		}
	}
	locks = locks && d.left > 0 && d.cancelledMS == 0
	dropID := d.id
	c := &batchCounts{taken: map[string]int{}, live: map[string]int{}, till: map[string]time.Time{}}
	var err error
	if locks {
		c.persons, err = s.lockPersons(ctx, tx, ids)
	} else {
		c.persons, err = s.personsOf(ctx, tx, ids)
	}
	if err != nil {
		return nil, err
	}
	// Every identity of every person, and which person it is of.
	personOf := map[string]string{}
	var members []any
	for _, p := range c.persons {
		for _, id := range p.ids {
			if _, ok := personOf[string(id)]; !ok {
				personOf[string(id)] = p.lockName()
				members = append(members, string(id))
			}
		}
	}
	sum := func(what, query string, args []any, into map[string]int) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", what, s.mapErr(err))
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			into[personOf[id]] += n
		}
		return rows.Err()
	}
	if err := sum("drop buyer counts", `SELECT buyer, taken FROM drop_buyers WHERE drop_id = $1
		AND buyer IN (`+placeholders(2, len(members))+`)`, append([]any{dropID}, members...), c.taken); err != nil {
		return nil, err
	}
	if !locks {
		return c, nil
	}
	if err := sum("live reservations", `SELECT buyer, COUNT(*) FROM drop_reservations WHERE status = $1 AND expires_at > $2
		AND buyer IN (`+placeholders(3, len(members))+`) GROUP BY buyer`,
		append([]any{string(commerce.DropReserved), ms(now)}, members...), c.live); err != nil {
		return nil, err
	}
	if ban > 0 {
		return c, s.lapsedPersons(ctx, tx, personOf, now, ban, c.till)
	}
	return c, nil
}

// lapsedPersons sets till[person] to the end of the suspension of each
// person (of personOf: identity → person) with an order that lapsed
// uncollected since now-ban.
func (s *Store) lapsedPersons(ctx context.Context, tx *sql.Tx, personOf map[string]string, now time.Time, ban time.Duration, till map[string]time.Time) error {
	rows, err := tx.QueryContext(ctx, `SELECT o.channel, o.user_id, c.hold_alerted_at
		FROM pickup_codes c JOIN orders o ON o.id = c.order_id
		WHERE c.hold_alerted_at > $1 AND c.hold_alerted_at > 0 AND c.redeemed_at = 0`, ms(now.Add(-ban)))
	if err != nil {
		return fmt.Errorf("lapsed orders: %w", s.mapErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var b commerce.Buyer
		var at int64
		if err := rows.Scan(&b.Channel, &b.UserID, &at); err != nil {
			return fmt.Errorf("lapsed orders: %w", err)
		}
		if k, ok := personOf[b.Key()]; ok && fromMS(at).Add(ban).After(till[k]) {
			till[k] = fromMS(at).Add(ban)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lapsed orders: %w", err)
	}
	return nil
}

// insertReservations inserts made with one statement and sets their ids.
func (s *Store) insertReservations(ctx context.Context, tx *sql.Tx, made []commerce.DropReservation) error {
	const cols = 7
	args := make([]any, 0, cols*len(made))
	var values strings.Builder
	for i, r := range made {
		if i > 0 {
			values.WriteString(", ")
		}
		n := i * cols
		fmt.Fprintf(&values, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+6)
		args = append(args, r.DropID, r.Buyer.Key(), r.Qty, r.Key, string(commerce.DropReserved), ms(r.CreatedAt), ms(r.ExpiresAt))
	}
	rows, err := tx.QueryContext(ctx, `INSERT INTO drop_reservations (drop_id, buyer, qty, idem_key, status, created_at, expires_at, updated_at)
		VALUES `+values.String()+` RETURNING id, idem_key`, args...)
	if err != nil {
		return fmt.Errorf("insert drop reservations: %w", s.mapErr(err))
	}
	defer rows.Close()
	ids := make(map[string]int64, len(made))
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return fmt.Errorf("insert drop reservations: %w", err)
		}
		ids[key] = id
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert drop reservations: %w", s.mapErr(err))
	}
	for i := range made {
		if made[i].ID = ids[made[i].Key]; made[i].ID == 0 {
			return fmt.Errorf("insert drop reservations: no id for key %q", made[i].Key)
		}
	}
	return nil
}

// raiseBuyerCounts adds each buyer's new units to their count with one
// conditional upsert; a buyer whose count would pass the limit fails the
// batch (the lock makes that impossible; the condition makes it certain).
func (s *Store) raiseBuyerCounts(ctx context.Context, tx *sql.Tx, d *dropTerms, made []commerce.DropReservation) error {
	per := map[string]int{}
	var order []string
	for _, r := range made {
		k := r.Buyer.Key()
		if _, ok := per[k]; !ok {
			order = append(order, k)
		}
		per[k] += r.Qty
	}
	args := []any{d.id, d.limit}
	var values strings.Builder
	for i, k := range order {
		if i > 0 {
			values.WriteString(", ")
		}
		fmt.Fprintf(&values, "($1, $%d, $%d)", 3+2*i, 4+2*i)
		args = append(args, k, per[k])
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO drop_buyers (drop_id, buyer, taken) VALUES `+values.String()+`
		ON CONFLICT (drop_id, buyer) DO UPDATE SET taken = drop_buyers.taken + excluded.taken
		WHERE drop_buyers.taken + excluded.taken <= $2`, args...)
	if err != nil {
		return fmt.Errorf("reserve drop %d buyer counts: %w", d.id, s.mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(order)) {
		return fmt.Errorf("reserve drop %d: buyer counts changed under the lock (%d of %d rows, %v)", d.id, n, len(order), err)
	}
	return nil
}
