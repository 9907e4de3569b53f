-- The gateway's tables. Times are Unix milliseconds (INTEGER), so the same SQL reads the same
-- on PostgreSQL (BIGINT).

-- Accepted events, stored once as their structured JSON bytes. `position` is the ingest-order
-- cursor; AUTOINCREMENT so a position is never reused, even after every event is purged.
CREATE TABLE events (
    position      INTEGER PRIMARY KEY AUTOINCREMENT,
    source        TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    type          TEXT    NOT NULL,
    subject       TEXT,
    time          INTEGER,
    partition_key TEXT,
    ingested_at   INTEGER NOT NULL,
    body          BLOB    NOT NULL
);
CREATE INDEX events_identity ON events (source, id);
CREATE INDEX events_ingested_at ON events (ingested_at);

-- Dedupe keys, with their own window: they outlive purged events.
CREATE TABLE dedupe (
    source  TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (source, id)
) WITHOUT ROWID;
CREATE INDEX dedupe_seen_at ON dedupe (seen_at);

-- The hot table: one row per pending (event, subscription). `due_at` doubles as the lease
-- expiry of a claimed row; `owner` and `attempt` fence outcome writes.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    position        INTEGER NOT NULL,
    subscription_id TEXT    NOT NULL,
    due_at          INTEGER NOT NULL,
    attempt         INTEGER NOT NULL DEFAULT 0,
    owner           TEXT
);
CREATE INDEX deliveries_due ON deliveries (subscription_id, due_at);
CREATE INDEX deliveries_position ON deliveries (position);

-- Every attempt (and every redelivery) of every delivery.
CREATE TABLE attempts (
    id              INTEGER PRIMARY KEY,
    position        INTEGER NOT NULL,
    subscription_id TEXT    NOT NULL,
    attempt         INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    outcome         TEXT    NOT NULL,
    status          INTEGER,
    latency_ms      INTEGER NOT NULL,
    error           TEXT,
    response        TEXT
);
CREATE INDEX attempts_delivery ON attempts (position, subscription_id);
CREATE INDEX attempts_at ON attempts (at);

CREATE TABLE dead_letters (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    position         INTEGER NOT NULL,
    subscription_id  TEXT    NOT NULL,
    event_type       TEXT    NOT NULL,
    reason           TEXT    NOT NULL,
    last_status      INTEGER,
    attempts         INTEGER NOT NULL,
    dead_lettered_at INTEGER NOT NULL
);
CREATE INDEX dead_letters_subscription ON dead_letters (subscription_id, id);
CREATE INDEX dead_letters_position ON dead_letters (position);

-- Subscriptions in their wire form (JSON), parsed by the same code as request bodies.
CREATE TABLE subscriptions (
    id         TEXT    PRIMARY KEY,
    spec       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
