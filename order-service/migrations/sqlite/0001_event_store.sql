-- The event store: one append-only stream per order. `position` orders all events globally
-- (the projector's checkpoint); `(stream_id, version)` is the optimistic-concurrency key.
CREATE TABLE order_events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id   TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    event_id    TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    event_type  TEXT    NOT NULL,
    time        TEXT    NOT NULL,
    dataschema  TEXT,
    traceparent TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    published   INTEGER NOT NULL,
    UNIQUE (stream_id, version)
);

-- Delivery state of the events order-service sends: a row per published event until the sink
-- answered 2xx. The event itself stays in order_events (the stream is the outbox).
CREATE TABLE order_outbox (
    position   INTEGER PRIMARY KEY,
    stream_id  TEXT    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    due_at     INTEGER NOT NULL,
    last_error TEXT
);
CREATE INDEX order_outbox_due ON order_outbox (due_at);
CREATE INDEX order_outbox_stream ON order_outbox (stream_id, position);

-- (source, id) of every handled incoming event, written with its effect.
CREATE TABLE order_inbox (
    source      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (source, event_id)
);

-- Idempotency-Key of POST /orders.
CREATE TABLE order_idempotency (
    key          TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

-- The read model for list queries, rebuilt from order_events by the projector.
CREATE TABLE order_view (
    order_id    TEXT PRIMARY KEY,
    customer_id TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    total_cents INTEGER NOT NULL,
    currency    TEXT    NOT NULL,
    payment_id  TEXT,
    version     INTEGER NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
CREATE INDEX order_view_status ON order_view (status, order_id);

CREATE TABLE projection_checkpoint (
    name     TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
