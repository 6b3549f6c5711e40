-- +goose Up
-- Catalog search: an FTS5 table with the trigram tokenizer (Chinese has no
-- spaces between words), one row per product (rowid = products.id) holding
-- what it is searched by: SKU, titles and descriptions in every language.
-- Triggers keep it in step with products.
CREATE VIRTUAL TABLE product_search USING fts5(body, tokenize = 'trigram');

INSERT INTO product_search (rowid, body)
    SELECT id, sku
        || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(products.title)), '')
        || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(products.description)), '')
    FROM products;

-- +goose StatementBegin
CREATE TRIGGER products_search_insert AFTER INSERT ON products BEGIN
    INSERT INTO product_search (rowid, body) VALUES (new.id, new.sku
        || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(new.title)), '')
        || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(new.description)), ''));
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER products_search_update AFTER UPDATE OF sku, title, description ON products BEGIN
    DELETE FROM product_search WHERE rowid = old.id;
    INSERT INTO product_search (rowid, body) VALUES (new.id, new.sku
        || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(new.title)), '')
        || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(new.description)), ''));
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER products_search_delete AFTER DELETE ON products BEGIN
    DELETE FROM product_search WHERE rowid = old.id;
END;
-- +goose StatementEnd

-- Questions from buyers to the sellers. A conversation is one buyer's
-- thread (their identity, chat and language when they asked); status is
-- open while a buyer's message awaits an answer, answered after a
-- seller's. last_buyer_at is the buyer's last message (WeChat allows
-- answers for 48 hours after it). Times are unix ms.
CREATE TABLE conversations (
    id            INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    buyer_name    TEXT NOT NULL DEFAULT '',
    lang          TEXT NOT NULL,
    status        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    last_buyer_at BIGINT NOT NULL
);
CREATE INDEX conversations_buyer ON conversations (channel, user_id, id DESC);
CREATE INDEX conversations_status ON conversations (status, updated_at);

-- The messages of a conversation: direction 'in' from the buyer, 'out'
-- from a seller (author is the seller's identity, or "console").
CREATE TABLE conversation_messages (
    id              INTEGER PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    direction       TEXT NOT NULL,
    author          TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX conversation_messages_conv ON conversation_messages (conversation_id, id);

-- Which message the bot sent in a chat belongs to which conversation, so
-- that a seller's reply to it (Telegram reply_to_message) answers it.
CREATE TABLE conversation_refs (
    channel         TEXT NOT NULL,
    chat_id         TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (channel, chat_id, message_id)
);

-- +goose Down
DROP TABLE conversation_refs;
DROP TABLE conversation_messages;
DROP TABLE conversations;
DROP TRIGGER products_search_delete;
DROP TRIGGER products_search_update;
DROP TRIGGER products_search_insert;
DROP TABLE product_search;
