-- Payments, one per order at most.
CREATE TABLE payments (
    payment_id   TEXT PRIMARY KEY,
    order_id     TEXT    NOT NULL UNIQUE,
    amount_cents INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);

-- The transactional outbox: each row is a whole CloudEvent (JSON format), written in the same
-- transaction as the state change that caused it, deleted once the sink answered 2xx.
CREATE TABLE payment_outbox (
    position   INTEGER PRIMARY KEY AUTOINCREMENT,
    aggregate  TEXT    NOT NULL,
    event      TEXT    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    due_at     INTEGER NOT NULL,
    last_error TEXT
);
CREATE INDEX payment_outbox_due ON payment_outbox (due_at);
CREATE INDEX payment_outbox_aggregate ON payment_outbox (aggregate, position);

-- (source, id) of every handled incoming command, written with its effect.
CREATE TABLE payment_inbox (
    source      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (source, event_id)
);
