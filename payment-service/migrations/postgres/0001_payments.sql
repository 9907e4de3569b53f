-- Payments, one per order at most.
CREATE TABLE payments (
    payment_id   TEXT PRIMARY KEY,
    order_id     TEXT   NOT NULL UNIQUE,
    amount_cents BIGINT NOT NULL,
    currency     TEXT   NOT NULL,
    status       TEXT   NOT NULL,
    created_at   TEXT   NOT NULL,
    updated_at   TEXT   NOT NULL
);

-- The transactional outbox: each row is a whole CloudEvent (JSON format), written in the same
-- transaction as the state change that caused it, deleted once the sink answered 2xx.
CREATE TABLE payment_outbox (
    position   BIGSERIAL PRIMARY KEY,
    aggregate  TEXT    NOT NULL,
    event      TEXT    NOT NULL,
    attempts   BIGINT  NOT NULL DEFAULT 0,
    due_at     BIGINT  NOT NULL,
    last_error TEXT
);
CREATE INDEX payment_outbox_due ON payment_outbox (due_at);
CREATE INDEX payment_outbox_aggregate ON payment_outbox (aggregate, position);

-- (source, id) of every handled incoming command, written with its effect; the primary key is
-- what makes dedupe hold across replicas.
CREATE TABLE payment_inbox (
    source      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (source, event_id)
);
