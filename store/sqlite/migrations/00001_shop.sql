-- +goose Up
-- Times are unix milliseconds (BIGINT) in both dialects, so the shared SQL in
-- store/sqlstore compares them the same way everywhere.
CREATE TABLE categories (
    id    INTEGER PRIMARY KEY,
    slug  TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    sort  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE products (
    id           INTEGER PRIMARY KEY,
    sku          TEXT NOT NULL UNIQUE,
    category_id  BIGINT NOT NULL REFERENCES categories(id),
    title        TEXT NOT NULL,
    description  TEXT NOT NULL,
    price_amount BIGINT NOT NULL CHECK (price_amount > 0),
    currency     TEXT NOT NULL,
    origin       TEXT NOT NULL,
    stock        INTEGER NOT NULL CHECK (stock >= 0),
    image        TEXT NOT NULL DEFAULT '',
    active       INTEGER NOT NULL DEFAULT 1,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX products_category ON products (category_id, id);

CREATE TABLE pickup_points (
    id       INTEGER PRIMARY KEY,
    code     TEXT NOT NULL UNIQUE,
    city     TEXT NOT NULL,
    name     TEXT NOT NULL,
    address  TEXT NOT NULL,
    hours    TEXT NOT NULL DEFAULT '',
    tz       TEXT NOT NULL,
    lat      REAL NOT NULL DEFAULT 0,
    lon      REAL NOT NULL DEFAULT 0,
    active   INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE orders (
    id              INTEGER PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    channel         TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    chat_id         TEXT NOT NULL,
    lang            TEXT NOT NULL,
    status          TEXT NOT NULL,
    total_amount    BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    pickup_point_id BIGINT NOT NULL REFERENCES pickup_points(id),
    contact_name    TEXT NOT NULL,
    phone           TEXT NOT NULL,
    idem_key        TEXT NOT NULL UNIQUE,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX orders_buyer ON orders (channel, user_id, id DESC);
CREATE INDEX orders_pending_expiry ON orders (expires_at) WHERE status = 'pending';

CREATE TABLE order_lines (
    order_id    BIGINT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    line_no     INTEGER NOT NULL,
    product_id  BIGINT NOT NULL REFERENCES products(id),
    sku         TEXT NOT NULL,
    title       TEXT NOT NULL,
    unit_amount BIGINT NOT NULL,
    qty         INTEGER NOT NULL CHECK (qty > 0),
    PRIMARY KEY (order_id, line_no)
);

-- Every status change, for support and audits.
CREATE TABLE order_events (
    id          INTEGER PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- Embedded-mode sessions and update de-duplication (Redis holds them in production).
CREATE TABLE sessions (
    key        TEXT PRIMARY KEY,
    version    BIGINT NOT NULL,
    data       BLOB NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE dedupe (
    key        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE dedupe;
DROP TABLE sessions;
DROP TABLE order_events;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE pickup_points;
DROP TABLE products;
DROP TABLE categories;
