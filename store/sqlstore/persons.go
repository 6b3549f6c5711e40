package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"shopbot/commerce"
)

var _ commerce.PersonStore = (*Store)(nil)

// How a person is found in SQL: person_identities holds every identity
// linked to another, with its person's id. An identity without a row is a
// person of one. The identities of id's person are
//
//	SELECT b.identity FROM person_identities a
//	JOIN person_identities b ON b.person_id = a.person_id WHERE a.identity = $1
//
// (none for a person of one: then it is id alone); personOf runs it. The
// tables that count against a person keep the identity that made each row
// (orders.channel/user_id, drop_reservations.buyer, …), and the counting
// queries take the person's identities as a list (identityIn).

// person is a resolved person: its id (0 for a person of one) and identities.
type person struct {
	id  int64
	ids []commerce.Identity
}

// lockName is the name of the person's lock: its id, or the identity of a
// person of one.
func (p person) lockName() string {
	if p.id > 0 {
		return "person:" + strconv.FormatInt(p.id, 10)
	}
	return "identity:" + string(p.ids[0])
}

// personOf resolves id's person.
func (s *Store) personOf(ctx context.Context, q querier, id commerce.Identity) (person, error) {
	ps, err := s.personsOf(ctx, q, []commerce.Identity{id})
	if err != nil {
		return person{}, err
	}
	return ps[id], nil
}

// personsOf resolves the persons of several identities with one query.
func (s *Store) personsOf(ctx context.Context, q querier, ids []commerce.Identity) (map[commerce.Identity]person, error) {
	out := make(map[commerce.Identity]person, len(ids))
	args := make([]any, 0, len(ids))
	for _, id := range ids {
		if _, dup := out[id]; !dup {
			out[id] = person{ids: []commerce.Identity{id}}
			args = append(args, string(id))
		}
	}
	if len(args) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT a.identity, b.person_id, b.identity FROM person_identities a
		JOIN person_identities b ON b.person_id = a.person_id
		WHERE a.identity IN (`+placeholders(1, len(args))+`) ORDER BY a.identity, b.linked_at, b.identity`, args...)
	if err != nil {
		return nil, fmt.Errorf("persons of identities: %w", s.mapErr(err))
	}
	defer rows.Close()
	linked := map[commerce.Identity]person{}
	for rows.Next() {
		var of, member string
		var pid int64
		if err := rows.Scan(&of, &pid, &member); err != nil {
			return nil, fmt.Errorf("persons of identities: %w", err)
		}
		p := linked[commerce.Identity(of)]
		p.id = pid
		p.ids = append(p.ids, commerce.Identity(member))
		linked[commerce.Identity(of)] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("persons of identities: %w", err)
	}
	for id, p := range linked {
		out[id] = p
	}
	return out, nil
}

// lockHash names a lock by a 64-bit number (a collision only makes two
// persons wait for each other now and then).
func lockHash(name string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("shopbot:" + name))
	return int64(h.Sum64())
}

// lockNames takes the named locks in the order of their numbers (so two
// transactions never wait for each other in a circle), with one
// statement, held until tx ends. On SQLite
// the one connection already runs one transaction at a time.
func (s *Store) lockNames(ctx context.Context, tx *sql.Tx, names []string) error {
	if s.d.LockSQL == "" {
		return nil
	}
	keys := make([]int64, 0, len(names))
	for _, n := range names {
		keys = append(keys, lockHash(n))
	}
	slices.Sort(keys)
	if _, err := tx.ExecContext(ctx, s.d.LockSQL, slices.Compact(keys)); err != nil {
		return fmt.Errorf("lock %d persons and phones: %w", len(keys), s.mapErr(err))
	}
	return nil
}

// phoneLock names the lock of a phone number's orders.
func phoneLock(phone string) string { return "phone:" + phone }

// errPersonMoved: a person changed (linked or unlinked) between resolving
// and locking it; the transaction starts over.
var errPersonMoved = errors.New("person changed while being locked")

// lockPersons resolves the persons of ids and takes their locks, and the
// locks of phones, until tx ends. A person is resolved again under its
// lock: linking and unlinking take the same locks, so the answer stays
// true until the commit. When it changed in between, errPersonMoved: run
// the transaction again (inPersonTx does).
func (s *Store) lockPersons(ctx context.Context, tx *sql.Tx, ids []commerce.Identity, phones ...string) (map[commerce.Identity]person, error) {
	ps, err := s.personsOf(ctx, tx, ids)
	if err != nil || s.d.LockSQL == "" {
		return ps, err
	}
	names := make([]string, 0, len(ps)+len(phones))
	for _, p := range ps {
		names = append(names, p.lockName())
	}
	for _, ph := range phones {
		if ph != "" {
			names = append(names, phoneLock(ph))
		}
	}
	if err := s.lockNames(ctx, tx, names); err != nil {
		return nil, err
	}
	again, err := s.personsOf(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	for id, p := range ps {
		if again[id].lockName() != p.lockName() {
			return nil, fmt.Errorf("person of %s: %w", id, errPersonMoved)
		}
	}
	return again, nil
}

// inPersonTx is inTx for transactions that lock persons: one that found
// its person changing under it runs again (a few times at most).
func (s *Store) inPersonTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var err error
	for range 4 {
		if err = s.inTx(ctx, fn); !errors.Is(err, errPersonMoved) {
			return err
		}
	}
	return fmt.Errorf("%w", commerce.ErrConflict)
}

// identityIn is "col IN ($n, …)" over a person's identities, with its args.
func identityIn(col string, from int, ids []commerce.Identity) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = string(id)
	}
	return col + ` IN (` + placeholders(from, len(ids)) + `)`, args
}

// PersonOf implements commerce.PersonStore.
func (s *Store) PersonOf(ctx context.Context, id commerce.Identity) (commerce.Person, error) {
	p, err := s.personOf(ctx, s.db, id)
	if err != nil {
		return commerce.Person{}, err
	}
	out := commerce.Person{ID: p.id}
	if p.id == 0 {
		out.Identities = []commerce.PersonIdentity{{Identity: id}}
		return out, nil
	}
	err = s.db.QueryRowContext(ctx, `SELECT notice_to FROM persons WHERE id = $1`, p.id).Scan(&out.NoticeTo)
	if err != nil {
		return out, fmt.Errorf("person %d: %w", p.id, s.mapErr(err))
	}
	out.Identities, err = queryList(ctx, s.db, "person identities", func(sc rowScanner) (commerce.PersonIdentity, error) {
		var pi commerce.PersonIdentity
		var linked, seen int64
		err := sc.Scan(&pi.Identity, &linked, &seen)
		pi.LinkedAt, pi.LastSeen = fromMS(linked), fromMS(seen)
		return pi, err
	}, `SELECT identity, linked_at, last_seen FROM person_identities WHERE person_id = $1 ORDER BY linked_at, identity`, p.id)
	return out, err
}

// SamePerson implements commerce.PersonStore.
func (s *Store) SamePerson(ctx context.Context, a, b commerce.Identity) (bool, error) {
	if a == b {
		return true, nil
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM person_identities x JOIN person_identities y
		ON y.person_id = x.person_id WHERE x.identity = $1 AND y.identity = $2`, string(a), string(b)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("same person: %w", s.mapErr(err))
	}
	return n > 0, nil
}

// LinkIdentities implements commerce.PersonStore. The person of a keeps
// its row (or a new one is made when a is alone); b's person's
// identities move into it and its row goes.
func (s *Store) LinkIdentities(ctx context.Context, a, b commerce.Identity, maxIDs int, at time.Time) (commerce.Person, error) {
	if a == b || !a.Valid() || !b.Valid() {
		return commerce.Person{}, fmt.Errorf("link %q with %q: %w", a, b, commerce.ErrInvalid)
	}
	err := s.inPersonTx(ctx, func(tx *sql.Tx) error {
		ps, err := s.lockPersons(ctx, tx, []commerce.Identity{a, b})
		if err != nil {
			return err
		}
		pa, pb := ps[a], ps[b]
		if pa.id > 0 && pa.id == pb.id {
			return nil // linked already
		}
		if maxIDs > 0 && len(pa.ids)+len(pb.ids) > maxIDs {
			return fmt.Errorf("link %s with %s: %d identities: %w", a, b, len(pa.ids)+len(pb.ids), commerce.ErrPersonFull)
		}
		id := pa.id
		if id == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO persons (created_at) VALUES ($1) RETURNING id`, ms(at)).Scan(&id); err != nil {
				return fmt.Errorf("new person: %w", s.mapErr(err))
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO person_identities (identity, person_id, linked_at) VALUES ($1, $2, $3)`,
				string(a), id, ms(at)); err != nil {
				return fmt.Errorf("link %s: %w", a, s.mapErr(err))
			}
		}
		if pb.id == 0 {
			_, err = tx.ExecContext(ctx, `INSERT INTO person_identities (identity, person_id, linked_at, last_seen) VALUES ($1, $2, $3, $3)`,
				string(b), id, ms(at))
		} else {
			// Both were persons: b's side joins a's; a's choice of notice
			// identity stands, else b's side's.
			if _, err = tx.ExecContext(ctx, `UPDATE persons SET notice_to = (SELECT notice_to FROM persons WHERE id = $2)
				WHERE id = $1 AND notice_to = ''`, id, pb.id); err == nil {
				if _, err = tx.ExecContext(ctx, `UPDATE person_identities SET person_id = $1 WHERE person_id = $2`, id, pb.id); err == nil {
					if _, err = tx.ExecContext(ctx, `DELETE FROM persons WHERE id = $1`, pb.id); err == nil {
						_, err = tx.ExecContext(ctx, `UPDATE person_identities SET last_seen = $2 WHERE identity = $1 AND last_seen < $2`, string(b), ms(at))
					}
				}
			}
		}
		if err != nil {
			return fmt.Errorf("link %s with %s: %w", a, b, s.mapErr(err))
		}
		return nil
	})
	if err != nil {
		return commerce.Person{}, err
	}
	return s.PersonOf(ctx, a)
}

// UnlinkIdentity implements commerce.PersonStore.
func (s *Store) UnlinkIdentity(ctx context.Context, id commerce.Identity) error {
	return s.inPersonTx(ctx, func(tx *sql.Tx) error {
		ps, err := s.lockPersons(ctx, tx, []commerce.Identity{id})
		if err != nil {
			return err
		}
		p := ps[id]
		if p.id == 0 {
			return fmt.Errorf("unlink %s: linked to none: %w", id, commerce.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM person_identities WHERE identity = $1`, string(id)); err != nil {
			return fmt.Errorf("unlink %s: %w", id, s.mapErr(err))
		}
		if len(p.ids) <= 2 { // one identity left: a person of one needs no row
			if _, err := tx.ExecContext(ctx, `DELETE FROM person_identities WHERE person_id = $1`, p.id); err != nil {
				return fmt.Errorf("unlink %s: %w", id, s.mapErr(err))
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM persons WHERE id = $1`, p.id)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE persons SET notice_to = '' WHERE id = $1 AND notice_to = $2`, p.id, string(id))
		}
		if err != nil {
			return fmt.Errorf("unlink %s: %w", id, s.mapErr(err))
		}
		return nil
	})
}

// SetNoticeIdentity implements commerce.PersonStore.
func (s *Store) SetNoticeIdentity(ctx context.Context, id, to commerce.Identity) error {
	res, err := s.db.ExecContext(ctx, `UPDATE persons SET notice_to = $2
		WHERE id = (SELECT person_id FROM person_identities WHERE identity = $1)
		AND ($2 = '' OR id = (SELECT person_id FROM person_identities WHERE identity = $2))`, string(id), string(to))
	if err != nil {
		return fmt.Errorf("notice identity of %s: %w", id, s.mapErr(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("notice identity %s of %s: %w", to, id, commerce.ErrNotFound)
	}
	return nil
}

// SeeIdentity implements commerce.PersonStore: one update, of a row that
// only a linked identity has.
func (s *Store) SeeIdentity(ctx context.Context, id commerce.Identity, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE person_identities SET last_seen = $2 WHERE identity = $1 AND last_seen < $2`,
		string(id), ms(at)); err != nil {
		return fmt.Errorf("see %s: %w", id, s.mapErr(err))
	}
	return nil
}

// CreateLinkCode implements commerce.PersonStore.
func (s *Store) CreateLinkCode(ctx context.Context, hash string, id commerce.Identity, created, expires time.Time) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO link_codes (code_hash, identity, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		hash, string(id), ms(created), ms(expires)); err != nil {
		return fmt.Errorf("link code: %w", s.mapErr(err))
	}
	return nil
}

// RedeemLinkCode implements commerce.PersonStore. The lock of by is held
// from the count of its failures to the record of this one, so concurrent
// guesses are evaluated one at a time and no more than the allowance is.
func (s *Store) RedeemLinkCode(ctx context.Context, hash string, by commerce.Identity, now time.Time, lim commerce.Limit) (commerce.Identity, error) {
	var owner commerce.Identity
	var refused error
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		refused = nil
		if err := s.lockNames(ctx, tx, []string{"link:" + string(by)}); err != nil {
			return err
		}
		var failed int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM link_attempts WHERE identity = $1 AND at > $2`,
			string(by), ms(now.Add(-lim.Per))).Scan(&failed); err != nil {
			return fmt.Errorf("link attempts of %s: %w", by, s.mapErr(err))
		}
		if lim.N > 0 && failed >= lim.N {
			refused = fmt.Errorf("%d wrong link codes in %v: %w", failed, lim.Per, commerce.ErrRateLimited)
			return nil
		}
		var who, usedBy string
		var expires, used int64
		err := tx.QueryRowContext(ctx, `SELECT identity, expires_at, used_at, used_by FROM link_codes WHERE code_hash = $1`, hash).
			Scan(&who, &expires, &used, &usedBy)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			refused = fmt.Errorf("link code: %w", commerce.ErrWrongCode)
		case err != nil:
			return fmt.Errorf("link code: %w", s.mapErr(err))
		case commerce.Identity(who) == by:
			refused = fmt.Errorf("own link code: %w", commerce.ErrInvalid)
			return nil // a mistake, not a guess
		case used > 0 && commerce.Identity(usedBy) == by:
			owner = commerce.Identity(who) // a retried message
			return nil
		case used > 0:
			refused = fmt.Errorf("link code used: %w", commerce.ErrWrongCode)
		case expires <= ms(now):
			refused = fmt.Errorf("link code: %w", commerce.ErrCodeExpired)
		default:
			res, err := tx.ExecContext(ctx, `UPDATE link_codes SET used_at = $2, used_by = $3 WHERE code_hash = $1 AND used_at = 0`,
				hash, ms(now), string(by))
			if err != nil {
				return fmt.Errorf("use link code: %w", s.mapErr(err))
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("use link code: %w", err)
			}
			if n == 1 {
				owner = commerce.Identity(who)
				return nil
			}
			// Another identity used it a moment ago.
			refused = fmt.Errorf("link code used: %w", commerce.ErrWrongCode)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO link_attempts (identity, at) VALUES ($1, $2)`, string(by), ms(now)); err != nil {
			return fmt.Errorf("record link attempt: %w", s.mapErr(err))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return owner, refused
}

// PruneLinkCodes implements commerce.PersonStore.
func (s *Store) PruneLinkCodes(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	for _, q := range []string{`DELETE FROM link_codes WHERE expires_at < $1`, `DELETE FROM link_attempts WHERE at < $1`} {
		res, err := s.db.ExecContext(ctx, q, ms(before))
		if err != nil {
			return n, fmt.Errorf("prune link codes: %w", s.mapErr(err))
		}
		m, _ := res.RowsAffected()
		n += m
	}
	return n, nil
}
