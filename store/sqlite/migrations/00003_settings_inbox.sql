-- +goose Up
-- Values the whole deployment shares, e.g. the pickup-token secret when the
-- operator did not set one: the first replica to start writes it.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Notices waiting for a web-chat user (the web has no push): the page
-- fetches and clears them.
CREATE TABLE inbox (
    id         INTEGER PRIMARY KEY,
    user_key   TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX inbox_user ON inbox (user_key, id);

-- +goose Down
DROP TABLE inbox;
DROP TABLE settings;
