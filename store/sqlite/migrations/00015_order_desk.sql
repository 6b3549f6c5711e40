-- +goose Up
-- The seller's order desk (issue 13). Times are unix ms; 0 is "never".

-- Payment at pickup, recorded by staff at the hand-over (or by a seller):
-- when, how (cash, card, transfer), how much (in the order's currency, in
-- minor units) and by whom. An order with paid_at = 0 is unpaid, and the
-- store refuses to hand it over.
ALTER TABLE orders ADD COLUMN paid_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN payment TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN paid_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN paid_by TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_status_created ON orders (status, created_at);

-- New-order notices to each seller, batched: the first of a quiet minute
-- goes out at once (last_sent), those within the minute after it wait and
-- go together. A row is claimed by the job that sends it (job) and marked
-- delivered after the send, so a retried job resends only what it claimed
-- and never what another job sent.
CREATE TABLE seller_notice_windows (
    seller    TEXT PRIMARY KEY,
    last_sent BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE seller_order_notices (
    seller       TEXT NOT NULL,
    order_id     BIGINT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    queued_at    BIGINT NOT NULL,
    job          BIGINT NOT NULL DEFAULT 0,
    delivered_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (seller, order_id)
);
CREATE INDEX seller_order_notices_job ON seller_order_notices (seller, job);

-- Notes a seller sent the buyer about an order, oldest first.
CREATE TABLE order_notes (
    id         INTEGER PRIMARY KEY,
    order_id   BIGINT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX order_notes_order ON order_notes (order_id, id);

-- +goose Down
DROP TABLE order_notes;
DROP TABLE seller_order_notices;
DROP TABLE seller_notice_windows;
DROP INDEX orders_status_created;
ALTER TABLE orders DROP COLUMN paid_by;
ALTER TABLE orders DROP COLUMN paid_amount;
ALTER TABLE orders DROP COLUMN payment;
ALTER TABLE orders DROP COLUMN paid_at;
