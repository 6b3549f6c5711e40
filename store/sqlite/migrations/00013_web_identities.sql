-- +goose Up
-- Web identities the server issued (a signed cookie names one) that did
-- something: a GET of the page stores nothing, the first chat message adds
-- the row. last_seen is raised at most once an hour; swept_at is when the
-- retention sweep last looked at an idle identity it kept (one that
-- ordered): it looks again only after new activity. Times are unix ms.
CREATE TABLE web_identities (
    id         TEXT PRIMARY KEY,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    swept_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX web_identities_idle ON web_identities (last_seen);

-- The recent conversation of a web identity (the page shows it again after
-- a reload), newest last; trimmed to the last entries on every append.
CREATE TABLE web_history (
    id         INTEGER PRIMARY KEY,
    user_key   TEXT NOT NULL,
    entry      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX web_history_user ON web_history (user_key, id);

-- Web users from before: their ids were chosen by browsers and are no
-- longer accepted; the retention sweep removes those that never ordered.
INSERT INTO web_identities (id, first_seen, last_seen)
    SELECT user_id, first_seen, last_seen FROM chat_users WHERE channel = 'web';

-- +goose Down
DROP TABLE web_history;
DROP TABLE web_identities;
