-- +goose Up
-- Pickup: opening hours, slots and bookings, pickup codes, shipment batches,
-- the wrong-code log and after-sales returns. Times are unix milliseconds.

-- opening: canonical WeeklyHours ("Mo-Fr 10:00-21:00; Sa 11:00-18:00");
-- holidays: JSON array of local dates ["2026-10-01"].
ALTER TABLE pickup_points ADD COLUMN opening TEXT NOT NULL DEFAULT '';
ALTER TABLE pickup_points ADD COLUMN holidays TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pickup_points ADD COLUMN slot_minutes INTEGER NOT NULL DEFAULT 30;
ALTER TABLE pickup_points ADD COLUMN slot_capacity INTEGER NOT NULL DEFAULT 4;

-- Chat identities ("tg:123") allowed to redeem codes and decide returns at a point.
CREATE TABLE pickup_staff (
    point_id BIGINT NOT NULL REFERENCES pickup_points(id) ON DELETE CASCADE,
    staff    TEXT NOT NULL,
    PRIMARY KEY (point_id, staff)
);
CREATE INDEX pickup_staff_staff ON pickup_staff (staff);

-- One row per slot somebody booked; a seat is taken with
-- UPDATE … SET booked = booked + 1 WHERE … AND booked < capacity.
CREATE TABLE pickup_slots (
    point_id BIGINT NOT NULL REFERENCES pickup_points(id),
    start_at BIGINT NOT NULL,
    end_at   BIGINT NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity >= 0),
    booked   INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
    PRIMARY KEY (point_id, start_at)
);

CREATE TABLE pickup_bookings (
    id         INTEGER PRIMARY KEY,
    order_id   BIGINT NOT NULL REFERENCES orders(id),
    point_id   BIGINT NOT NULL REFERENCES pickup_points(id),
    slot_start BIGINT NOT NULL,
    slot_end   BIGINT NOT NULL,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX pickup_bookings_one_active ON pickup_bookings (order_id) WHERE status = 'active';
CREATE INDEX pickup_bookings_due ON pickup_bookings (slot_end) WHERE status = 'active';
CREATE INDEX pickup_bookings_point ON pickup_bookings (point_id, slot_start);

-- The code an order is collected with, issued at arrival; unique among a
-- point's unredeemed codes.
CREATE TABLE pickup_codes (
    order_id        BIGINT PRIMARY KEY REFERENCES orders(id),
    point_id        BIGINT NOT NULL REFERENCES pickup_points(id),
    code            TEXT NOT NULL,
    ready_at        BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    redeemed_at     BIGINT NOT NULL DEFAULT 0,
    redeemed_by     TEXT NOT NULL DEFAULT '',
    hold_alerted_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX pickup_codes_active ON pickup_codes (point_id, code) WHERE redeemed_at = 0;
CREATE INDEX pickup_codes_lookup ON pickup_codes (point_id, code, redeemed_at);
CREATE INDEX pickup_codes_hold ON pickup_codes (ready_at) WHERE redeemed_at = 0 AND hold_alerted_at = 0;

-- Wrong-code attempts, per scope ("staff:tg:1", "point:7"), for rate limiting.
CREATE TABLE pickup_failures (
    id    INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    at    BIGINT NOT NULL
);
CREATE INDEX pickup_failures_scope ON pickup_failures (scope, at);

CREATE TABLE shipment_batches (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    point_id   BIGINT NOT NULL REFERENCES pickup_points(id),
    created_at BIGINT NOT NULL
);

CREATE TABLE shipment_batch_orders (
    id       INTEGER PRIMARY KEY,
    batch_id BIGINT NOT NULL REFERENCES shipment_batches(id) ON DELETE CASCADE,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    UNIQUE (batch_id, order_id)
);

CREATE TABLE order_returns (
    id            INTEGER PRIMARY KEY,
    order_id      BIGINT NOT NULL REFERENCES orders(id),
    point_id      BIGINT NOT NULL REFERENCES pickup_points(id),
    kind          TEXT NOT NULL,
    reason        TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    slot_start    BIGINT NOT NULL DEFAULT 0,
    slot_end      BIGINT NOT NULL DEFAULT 0,
    decided_by    TEXT NOT NULL DEFAULT '',
    decision_note TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX order_returns_one_open ON order_returns (order_id) WHERE status IN ('requested', 'dropoff_booked');
CREATE INDEX order_returns_point_open ON order_returns (point_id, slot_start) WHERE status IN ('requested', 'dropoff_booked');

-- +goose Down
DROP TABLE order_returns;
DROP TABLE shipment_batch_orders;
DROP TABLE shipment_batches;
DROP TABLE pickup_failures;
DROP TABLE pickup_codes;
DROP TABLE pickup_bookings;
DROP TABLE pickup_slots;
DROP TABLE pickup_staff;
ALTER TABLE pickup_points DROP COLUMN slot_capacity;
ALTER TABLE pickup_points DROP COLUMN slot_minutes;
ALTER TABLE pickup_points DROP COLUMN holidays;
ALTER TABLE pickup_points DROP COLUMN opening;
