-- +goose Up
-- "Notify me" on a sold-out product: one row per buyer (buyer is
-- "channel:user") and product while it waits. The stock change that brings
-- the product back marks the rows it notifies (notified_at, unix ms) in its
-- own transaction, so each waiting buyer is told once; a buyer may ask
-- again the next time it sells out.
CREATE TABLE restock_subscriptions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id  BIGINT NOT NULL REFERENCES products(id),
    buyer       TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    lang        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    notified_at BIGINT
);
CREATE UNIQUE INDEX restock_subscriptions_waiting ON restock_subscriptions (product_id, buyer) WHERE notified_at IS NULL;
CREATE INDEX restock_subscriptions_buyer ON restock_subscriptions (buyer) WHERE notified_at IS NULL;

-- +goose Down
DROP INDEX restock_subscriptions_buyer;
DROP INDEX restock_subscriptions_waiting;
DROP TABLE restock_subscriptions;
