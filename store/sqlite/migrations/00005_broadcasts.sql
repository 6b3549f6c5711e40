-- +goose Up
-- The audience: every user who wrote to the bot in a private chat, with
-- their opt-out of broadcasts and whether the platform refused the last
-- message (blocked). Times are unix ms.
CREATE TABLE chat_users (
    channel    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    lang       TEXT NOT NULL DEFAULT '',
    opted_out  INTEGER NOT NULL DEFAULT 0,
    blocked    INTEGER NOT NULL DEFAULT 0,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    PRIMARY KEY (channel, user_id)
);
CREATE INDEX chat_users_chat ON chat_users (channel, chat_id);

-- A broadcast and its counts (kept as outcomes are recorded). The fan-out
-- is leased to one worker at a time (lease_owner until lease_until).
CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY,
    author       TEXT NOT NULL,
    author_chat  TEXT NOT NULL DEFAULT '',
    text         TEXT NOT NULL,
    image        BLOB,
    button_text  TEXT NOT NULL DEFAULT '',
    button_url   TEXT NOT NULL DEFAULT '',
    channels     TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    total        INTEGER NOT NULL DEFAULT 0,
    sent         INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    blocked      INTEGER NOT NULL DEFAULT 0,
    opted_out    INTEGER NOT NULL DEFAULT 0,
    skipped      INTEGER NOT NULL DEFAULT 0,
    progress_msg TEXT NOT NULL DEFAULT '',
    lease_owner  TEXT NOT NULL DEFAULT '',
    lease_until  BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    started_at   BIGINT NOT NULL DEFAULT 0,
    finished_at  BIGINT NOT NULL DEFAULT 0
);

-- The audience as it was when the broadcast started, one row per
-- recipient: pending → sending (claimed) → sent | failed | blocked |
-- skipped; opted_out and blocked users are recorded at the snapshot.
CREATE TABLE broadcast_recipients (
    id           INTEGER PRIMARY KEY,
    broadcast_id BIGINT NOT NULL REFERENCES broadcasts(id),
    channel      TEXT NOT NULL,
    chat_id      TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    lang         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    updated_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX broadcast_recipients_claim ON broadcast_recipients (broadcast_id, channel, status, id);

-- +goose Down
DROP TABLE broadcast_recipients;
DROP TABLE broadcasts;
DROP TABLE chat_users;
