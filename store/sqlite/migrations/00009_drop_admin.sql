-- +goose Up
-- A seller's changes of drops. cancelled_at > 0: the drop was called off
-- (unix ms); Reserve reads it under the drop's row lock and refuses.
-- create_key: the idempotency key of `shopbot drop create --key`, unique
-- (NULLs, the drops made without a key, are distinct in both databases).
ALTER TABLE drops ADD COLUMN cancelled_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE drops ADD COLUMN create_key TEXT;
CREATE UNIQUE INDEX drops_create_key ON drops (create_key);

-- +goose Down
DROP INDEX drops_create_key;
ALTER TABLE drops DROP COLUMN create_key;
ALTER TABLE drops DROP COLUMN cancelled_at;
