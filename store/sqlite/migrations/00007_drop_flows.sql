-- +goose Up
-- Drops in the chat: reservations turned into orders, per-person limits by
-- phone, "notify me" subscriptions and the waitlist. Times are unix ms.

-- The IANA zone the seller set the start time in; drop cards show it there.
ALTER TABLE drops ADD COLUMN tz TEXT NOT NULL DEFAULT '';

-- A drop order: the order a reservation became (exactly one per
-- reservation). Its units came from the drop, not from the product's stock,
-- so cancelling the order returns them to the drop.
CREATE TABLE drop_orders (
    order_id       BIGINT NOT NULL PRIMARY KEY REFERENCES orders(id),
    drop_id        BIGINT NOT NULL REFERENCES drops(id),
    reservation_id BIGINT NOT NULL UNIQUE REFERENCES drop_reservations(id),
    phone          TEXT NOT NULL,
    qty            INTEGER NOT NULL CHECK (qty > 0)
);
CREATE INDEX drop_orders_drop ON drop_orders (drop_id);

-- Units a person (a normalized phone number, whatever the channel) ordered
-- in a drop; taken <= the drop's per-buyer limit, kept with a conditional upsert.
CREATE TABLE drop_phones (
    drop_id BIGINT NOT NULL REFERENCES drops(id),
    phone   TEXT NOT NULL,
    taken   INTEGER NOT NULL CHECK (taken >= 0),
    PRIMARY KEY (drop_id, phone)
);

-- "Notify me when it starts"; notified_at is set once, with the notices.
CREATE TABLE drop_subscribers (
    drop_id     BIGINT NOT NULL REFERENCES drops(id),
    buyer       TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    lang        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    notified_at BIGINT,
    PRIMARY KEY (drop_id, buyer)
);

-- The waitlist of a sold-out drop, first come first served (by id).
-- status: waiting → offered (a unit reserved for them) or skipped.
CREATE TABLE drop_waitlist (
    id             INTEGER PRIMARY KEY,
    drop_id        BIGINT NOT NULL REFERENCES drops(id),
    buyer          TEXT NOT NULL,
    chat_id        TEXT NOT NULL,
    lang           TEXT NOT NULL,
    status         TEXT NOT NULL,
    reservation_id BIGINT,
    created_at     BIGINT NOT NULL,
    UNIQUE (drop_id, buyer)
);
CREATE INDEX drop_waitlist_next ON drop_waitlist (drop_id, id) WHERE status = 'waiting';

-- +goose Down
DROP TABLE drop_waitlist;
DROP TABLE drop_subscribers;
DROP TABLE drop_phones;
DROP TABLE drop_orders;
ALTER TABLE drops DROP COLUMN tz;
