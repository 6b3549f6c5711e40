// Package sqlstore is the one SQL implementation of commerce's store
// interfaces and bot's session and de-duplication stores, shared by the
// Postgres (pgx v5 through database/sql) and SQLite (modernc) packages. The
// SQL is the subset both dialects accept; what differs lives in Dialect.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"shopbot/commerce"
	"shopbot/internal/batch"
)

// Dialect holds what differs between the databases.
type Dialect struct {
	Name string
	// IsUniqueViolation reports whether err is a unique-constraint violation.
	IsUniqueViolation func(error) bool
	// LockSQL takes the locks named by its one parameter, an array of
	// bigint given in ascending order, one after the other in that order,
	// each held until the transaction ends (Postgres:
	// pg_advisory_xact_lock). Empty when the database runs one
	// transaction at a time anyway (SQLite on its one connection).
	LockSQL string
	// KeyLock is a statement taking one text parameter that serializes
	// the transactions running it with the same value until they end; ""
	// when transactions are serialized anyway (SQLite's one connection).
	KeyLock string
}

// Options configures a Store.
type Options struct {
	// OnEvent receives every domain event inside the transaction that caused
	// it; the application enqueues durable jobs there (reservation expiry,
	// notifications), so they commit or roll back with the change.
	OnEvent EventHook
	// Now is the clock for session and dedupe expiry; default time.Now.
	Now func() time.Time
}

// Store implements commerce.Store, chatstate.SessionStore and chatstate.Deduper.
type Store struct {
	db   *sql.DB
	d    Dialect
	opts Options

	reserves sync.Map // drop id → *batch.Batcher[reserveReq, reserveRes]
	history  *batch.Batcher[historyAppend, struct{}]
}

// New wraps an open, migrated database.
func New(db *sql.DB, d Dialect, opts Options) *Store {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Store{db: db, d: d, opts: opts}
	s.history = batch.New(maxHistoryBatch, s.appendHistories)
	return s
}

// EventHook handles a domain event inside the transaction that caused it.
type EventHook func(ctx context.Context, tx *sql.Tx, e commerce.Event) error

// SetOnEvent installs the event hook after construction (the job queue needs
// the store, and the store needs the queue).
func (s *Store) SetOnEvent(f EventHook) { s.opts.OnEvent = f }

// emit hands an event to the hook, if any.
func (s *Store) emit(ctx context.Context, tx *sql.Tx, e commerce.Event) error {
	if s.opts.OnEvent == nil {
		return nil
	}
	if err := s.opts.OnEvent(ctx, tx, e); err != nil {
		return fmt.Errorf("%s event: %w", e.EventName(), err)
	}
	return nil
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner = interface{ Scan(...any) error }

// queryList runs a query and scans every row with scan; what names the
// list in errors.
func queryList[T any](ctx context.Context, q querier, what string, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// queryArgs collects the arguments of a query built from filters.
type queryArgs []any

// add appends v and returns its placeholder ($1, $2, …).
func (a *queryArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// statuses adds each status and returns their placeholders for an IN list.
func (a *queryArgs) statuses(sts []commerce.OrderStatus) string {
	in := make([]string, len(sts))
	for i, st := range sts {
		in[i] = a.add(string(st))
	}
	return strings.Join(in, ", ")
}

// lockRow runs a no-op UPDATE of one row (stmt, $1 = id) to take its lock
// first (Postgres row lock, SQLite's write lock), so two read-modify-write
// edits of it run one after the other; commerce.ErrNotFound when no row
// has that id.
func lockRow(ctx context.Context, tx *sql.Tx, stmt string, id int64) error {
	res, err := tx.ExecContext(ctx, stmt, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return commerce.ErrNotFound
	}
	return nil
}

// DB returns the underlying pool.
func (s *Store) DB() *sql.DB { return s.db }

// Ping checks the database is reachable.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.mapErr(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// mapErr turns driver errors into commerce sentinels where one applies.
func (s *Store) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w", commerce.ErrNotFound)
	case s.d.IsUniqueViolation != nil && s.d.IsUniqueViolation(err):
		return fmt.Errorf("%s unique violation: %w", s.d.Name, commerce.ErrConflict)
	}
	return err
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func textJSON(t commerce.Text) string {
	if t == nil {
		t = commerce.Text{}
	}
	b, _ := json.Marshal(t) // a map of strings always marshals
	return string(b)
}

// jsonText scans a JSON text column (TEXT in SQLite, JSONB in Postgres).
type jsonText struct{ t *commerce.Text }

func (j jsonText) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		*j.t = commerce.Text{}
		return nil
	default:
		return fmt.Errorf("text column of type %T", src)
	}
	return json.Unmarshal(b, j.t)
}
