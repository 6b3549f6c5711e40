// Package postgres is the production store: a pgx v5 pool, exposed to the
// shared SQL of store/sqlstore through pgx's database/sql adapter.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"shopbot/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect describes Postgres to the shared store.
var Dialect = sqlstore.Dialect{Name: "postgres", IsUniqueViolation: isUnique,
	// unnest yields the array in order and each row is locked as it comes.
	LockSQL: `SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS t(k)`,
	KeyLock: `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// PoolOptions sizes the pool.
type PoolOptions struct {
	MaxConns          int32         // default 4 × GOMAXPROCS, at least 8
	MinConns          int32         // default 1
	HealthCheckPeriod time.Duration // default 30 s
	MaxConnLifetime   time.Duration // default 30 min
}

// DB is an open Postgres database.
type DB struct {
	Pool *pgxpool.Pool
	SQL  *sql.DB // database/sql view of Pool
}

// Close closes both views.
func (d *DB) Close() {
	d.SQL.Close()
	d.Pool.Close()
}

// Open connects a pool to url and pings it. Errors never include the password.
func Open(ctx context.Context, url string, o PoolOptions) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors redact the password already; say only what failed.
		return nil, fmt.Errorf("postgres: invalid DATABASE_URL: %w", err)
	}
	cfg.MaxConns = o.MaxConns
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 16
	}
	cfg.MinConns = max(o.MinConns, 1)
	cfg.HealthCheckPeriod = o.HealthCheckPeriod
	if cfg.HealthCheckPeriod <= 0 {
		cfg.HealthCheckPeriod = 30 * time.Second
	}
	cfg.MaxConnLifetime = o.MaxConnLifetime
	if cfg.MaxConnLifetime <= 0 {
		cfg.MaxConnLifetime = 30 * time.Minute
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: ping %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return &DB{Pool: pool, SQL: stdlib.OpenDBFromPool(pool)}, nil
}

// Migrate applies the embedded migrations, holding a Postgres advisory lock
// so replicas starting together do not race.
func Migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("postgres migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres migrate: %w", err)
	}
	return nil
}

// New wraps a migrated database in the shared store.
func New(db *sql.DB, opts sqlstore.Options) *sqlstore.Store { return sqlstore.New(db, Dialect, opts) }
