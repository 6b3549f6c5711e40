-- +goose Up
-- A drop's one post per group or channel, edited in place. shown encodes
-- what the message shows now; the refresher compares it with the drop's
-- current state and edits when they differ. gone_at > 0: the message can no
-- longer be edited (deleted, bot removed). Times are unix ms.
CREATE TABLE drop_posts (
    id         INTEGER PRIMARY KEY,
    drop_id    BIGINT NOT NULL REFERENCES drops(id),
    channel    TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    message_id TEXT NOT NULL,
    lang       TEXT NOT NULL,
    shown      TEXT NOT NULL,
    takers     INTEGER NOT NULL DEFAULT 0,
    gone_at    BIGINT NOT NULL DEFAULT 0,
    posted_at  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (drop_id, channel, chat_id)
);
CREATE INDEX drop_posts_live ON drop_posts (posted_at) WHERE gone_at = 0;

-- Members who tapped "+1" on a post (接龙), numbered 1, 2, … in the order
-- of taking: a taker's position comes from raising drop_posts.takers in the
-- same transaction, which also orders concurrent taps. name is only what
-- the post lists (first name, initial or nothing).
CREATE TABLE drop_post_takers (
    post_id        BIGINT NOT NULL REFERENCES drop_posts(id),
    position       INTEGER NOT NULL,
    user_id        TEXT NOT NULL,
    name           TEXT NOT NULL,
    reservation_id BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (post_id, position),
    UNIQUE (post_id, user_id)
);

-- The pace of edits per chat, shared by every replica: an edit first moves
-- next_edit_at forward with a conditional upsert.
CREATE TABLE drop_post_chats (
    channel      TEXT NOT NULL,
    chat_id      TEXT NOT NULL,
    next_edit_at BIGINT NOT NULL,
    PRIMARY KEY (channel, chat_id)
);

-- +goose Down
DROP TABLE drop_post_chats;
DROP TABLE drop_post_takers;
DROP TABLE drop_posts;
