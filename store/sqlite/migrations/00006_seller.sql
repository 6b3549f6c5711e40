-- +goose Up
-- Pictures sellers upload from the chat or the shell, re-encoded without
-- metadata (commerce.NormalizeImage); the key is the hash of data, so a
-- row never changes once written. Products name them in products.image.
CREATE TABLE images (
    key          TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    data         BLOB NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    created_at   BIGINT NOT NULL
);

-- +goose Down
DROP TABLE images;
