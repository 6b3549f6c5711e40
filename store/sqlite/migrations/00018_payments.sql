-- +goose Up
-- Online payment (issue 14). Times are unix ms; 0 is "never". Money is
-- minor units with its ISO 4217 currency.

-- One try to pay an order at a provider (WeChat Pay, Telegram Payments).
-- out_trade_no is ours (the order number, "P", a counter); a payment the
-- provider reports is recorded once per (method, transaction_id), the key
-- of the one idempotent path that notifications and queries share.
CREATE TABLE pay_attempts (
    id             INTEGER PRIMARY KEY,
    order_id       BIGINT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    method         TEXT NOT NULL,
    trade_type     TEXT NOT NULL,
    out_trade_no   TEXT NOT NULL UNIQUE,
    amount         BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    state          TEXT NOT NULL,
    prepay         TEXT NOT NULL DEFAULT '',
    transaction_id TEXT NOT NULL DEFAULT '',
    provider_ref   TEXT NOT NULL DEFAULT '',
    payer          TEXT NOT NULL DEFAULT '',
    paid_amount    BIGINT NOT NULL DEFAULT 0,
    paid_currency  TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    paid_at        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX pay_attempts_order ON pay_attempts (order_id, id);
CREATE UNIQUE INDEX pay_attempts_transaction ON pay_attempts (method, transaction_id) WHERE transaction_id <> '';
CREATE INDEX pay_attempts_state_created ON pay_attempts (state, created_at);

-- Money going back to a buyer: the order's payment in full or per line
-- (attempt_id 0), or one attempt's late or second payment returned whole.
-- lines is a JSON list of {"line": n, "qty": q}; empty for a whole amount.
-- idem_key makes a retried request the same refund.
CREATE TABLE refunds (
    id            INTEGER PRIMARY KEY,
    order_id      BIGINT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    attempt_id    BIGINT NOT NULL DEFAULT 0,
    method        TEXT NOT NULL,
    out_refund_no TEXT NOT NULL UNIQUE,
    amount        BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    lines         TEXT NOT NULL DEFAULT '[]',
    reason        TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL,
    provider_id   TEXT NOT NULL DEFAULT '',
    idem_key      TEXT NOT NULL UNIQUE,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    done_at       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX refunds_order ON refunds (order_id, id);
CREATE INDEX refunds_state_updated ON refunds (state, updated_at);
-- DuePayments: the orders whose payment time ended.
CREATE INDEX orders_payment_expiry ON orders (expires_at) WHERE status = 'awaiting_payment';

-- +goose Down
DROP INDEX orders_payment_expiry;
DROP TABLE refunds;
DROP TABLE pay_attempts;
