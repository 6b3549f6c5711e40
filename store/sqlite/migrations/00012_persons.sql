-- +goose Up
-- One buyer across channels: channel identities ("tg:123", "wx:oAbc",
-- "web:…") linked into persons, the one-time codes that link them, and the
-- indexes the per-person limits count with. An identity linked to no other
-- has no row here: it is a person of one. Orders, reservations, waitlist
-- places and subscriptions stay keyed by the identity that made them; a
-- person's are those of its identities. Times are unix ms.
CREATE TABLE persons (
    id         INTEGER PRIMARY KEY,
    notice_to  TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE person_identities (
    identity  TEXT PRIMARY KEY,
    person_id BIGINT NOT NULL REFERENCES persons(id),
    linked_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX person_identities_person ON person_identities (person_id);

-- A link code is kept by its hash; used_by is the identity that entered it.
CREATE TABLE link_codes (
    code_hash  TEXT PRIMARY KEY,
    identity   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0,
    used_by    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX link_codes_expiry ON link_codes (expires_at);

-- Wrong link codes entered, per identity, for rate limiting.
CREATE TABLE link_attempts (
    id       INTEGER PRIMARY KEY,
    identity TEXT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX link_attempts_identity ON link_attempts (identity, at);

-- What the per-person limits count: open orders by phone, live
-- reservations, waitlist places and subscriptions by identity.
CREATE INDEX orders_phone ON orders (phone, status);
CREATE INDEX drop_reservations_buyer ON drop_reservations (buyer) WHERE status = 'reserved';
CREATE INDEX drop_waitlist_buyer ON drop_waitlist (buyer) WHERE status = 'waiting';
CREATE INDEX drop_subscribers_buyer ON drop_subscribers (buyer) WHERE notified_at IS NULL;
-- Orders not collected by the end of their hold (pay at pickup suspended).
CREATE INDEX pickup_codes_lapsed ON pickup_codes (hold_alerted_at) WHERE redeemed_at = 0 AND hold_alerted_at > 0;

-- +goose Down
DROP INDEX pickup_codes_lapsed;
DROP INDEX drop_subscribers_buyer;
DROP INDEX drop_waitlist_buyer;
DROP INDEX drop_reservations_buyer;
DROP INDEX orders_phone;
DROP TABLE link_attempts;
DROP TABLE link_codes;
DROP TABLE person_identities;
DROP TABLE persons;
