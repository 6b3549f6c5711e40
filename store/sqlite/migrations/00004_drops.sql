-- +goose Up
-- Drops: a number of units of one product sold from a start time, at most
-- per_buyer_limit per buyer. Units are taken with
-- UPDATE drops SET units_left = units_left - $n WHERE … AND units_left >= $n;
-- the buyer's count with a conditional upsert on drop_buyers. Times are unix ms.
CREATE TABLE drops (
    id              INTEGER PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    product_id      BIGINT NOT NULL REFERENCES products(id),
    units           INTEGER NOT NULL CHECK (units > 0),
    units_left      INTEGER NOT NULL CHECK (units_left >= 0 AND units_left <= units),
    price_amount    BIGINT NOT NULL CHECK (price_amount > 0),
    currency        TEXT NOT NULL,
    starts_at       BIGINT NOT NULL,
    per_buyer_limit INTEGER NOT NULL CHECK (per_buyer_limit > 0),
    reservation_ms  BIGINT NOT NULL CHECK (reservation_ms > 0),
    created_at      BIGINT NOT NULL
);

-- Units a buyer ("tg:123") holds in a drop; taken <= the drop's limit.
CREATE TABLE drop_buyers (
    drop_id BIGINT NOT NULL REFERENCES drops(id),
    buyer   TEXT NOT NULL,
    taken   INTEGER NOT NULL CHECK (taken >= 0),
    PRIMARY KEY (drop_id, buyer)
);

CREATE TABLE drop_reservations (
    id         INTEGER PRIMARY KEY,
    drop_id    BIGINT NOT NULL REFERENCES drops(id),
    buyer      TEXT NOT NULL,
    qty        INTEGER NOT NULL CHECK (qty > 0),
    idem_key   TEXT NOT NULL UNIQUE,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX drop_reservations_due ON drop_reservations (expires_at) WHERE status = 'reserved';
CREATE INDEX drop_reservations_drop ON drop_reservations (drop_id, buyer);

-- +goose Down
DROP TABLE drop_reservations;
DROP TABLE drop_buyers;
DROP TABLE drops;
