-- +goose Up
-- Broadcast pictures are re-encoded without metadata and served under a
-- random name (/b/NAME), no longer by the broadcast's sequential id. The
-- pictures stored before still carry what the seller's phone put in them
-- (EXIF, GPS included) and have no name: they would never be served or
-- sent again, so they go.
ALTER TABLE broadcasts ADD COLUMN image_name TEXT NOT NULL DEFAULT '';
UPDATE broadcasts SET image = NULL;
CREATE INDEX broadcasts_image_name ON broadcasts (image_name);

-- A seller's cancellation of an order: the reason the buyer is told, and
-- who cancelled ("cli" or a seller identity such as tg:123).
ALTER TABLE orders ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN cancelled_by TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders DROP COLUMN cancelled_by;
ALTER TABLE orders DROP COLUMN cancel_reason;
DROP INDEX broadcasts_image_name;
ALTER TABLE broadcasts DROP COLUMN image_name;
