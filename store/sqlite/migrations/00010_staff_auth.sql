-- +goose Up
-- Wrong-code allowances in fixed windows, one row per scope
-- ("session:…", "staff:tg:42", "addr:203.0.113.7", "point:7"): a window
-- starts at the first attempt after the previous one ended (unix ms) and
-- counts its attempts. An attempt is taken with one conditional upsert, so
-- a limit holds whatever the concurrency. Replaces pickup_failures, whose
-- count-then-insert let simultaneous guesses through.
CREATE TABLE attempt_windows (
    scope      TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    used       INTEGER NOT NULL
);
DROP TABLE pickup_failures;

-- Sign-ins to the shop's own web pages (site "staff"; the seller's console
-- will share them). Rows are found by token_hash, the HMAC of the secret
-- token under the site's key: the database never holds a token that works,
-- and a new key ends every link and session.
-- A login link works once: used_at > 0 once it signed someone in.
CREATE TABLE auth_links (
    site       TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    identity   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (site, token_hash)
);
CREATE INDEX auth_links_identity ON auth_links (site, identity);
CREATE INDEX auth_links_expiry ON auth_links (expires_at);

-- A session lives until it expires or is ended (logout, sign out
-- everywhere), which deletes its row.
CREATE TABLE auth_sessions (
    site       TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    identity   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (site, token_hash)
);
CREATE INDEX auth_sessions_identity ON auth_sessions (site, identity);
CREATE INDEX auth_sessions_expiry ON auth_sessions (expires_at);

-- +goose Down
DROP TABLE auth_sessions;
DROP TABLE auth_links;
CREATE TABLE pickup_failures (
    id    INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    at    BIGINT NOT NULL
);
CREATE INDEX pickup_failures_scope ON pickup_failures (scope, at);
DROP TABLE attempt_windows;
