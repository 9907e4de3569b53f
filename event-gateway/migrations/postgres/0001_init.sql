-- The gateway's tables on PostgreSQL: the same shape as the SQLite schema (times are Unix
-- milliseconds, BIGINT), so the two backends' SQL reads alike. Several replicas share them.

-- Accepted events, stored once as their structured JSON bytes. `position` is the ingest-order
-- cursor (never reused). `tx` is the writing transaction's id: positions are handed out in
-- insert order, not commit order, so a reader that pages by position (streams) reads only below
-- `pg_snapshot_xmin(pg_current_snapshot())` and never skips a late committer.
CREATE TABLE events (
    position      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        TEXT   NOT NULL,
    id            TEXT   NOT NULL,
    type          TEXT   NOT NULL,
    subject       TEXT,
    time          BIGINT,
    partition_key TEXT,
    ingested_at   BIGINT NOT NULL,
    tx            xid8   NOT NULL DEFAULT pg_current_xact_id(),
    body          BYTEA  NOT NULL
);
CREATE INDEX events_identity ON events (source, id);
CREATE INDEX events_ingested_at ON events (ingested_at);

-- Dedupe keys, with their own window: they outlive purged events. The primary key is what
-- makes dedupe hold across replicas: a second replica inserting the same key waits for the
-- first one's transaction and then sees the conflict.
CREATE TABLE dedupe (
    source  TEXT   NOT NULL,
    id      TEXT   NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE INDEX dedupe_seen_at ON dedupe (seen_at);

-- The hot table: one row per pending (event, subscription). `due_at` doubles as the lease
-- expiry of a claimed row; `owner` and `attempt` fence outcome writes. Rows are inserted,
-- updated once per attempt and deleted when settled, so vacuum runs early and often here.
CREATE TABLE deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position        BIGINT  NOT NULL,
    subscription_id TEXT    NOT NULL,
    due_at          BIGINT  NOT NULL,
    attempt         INTEGER NOT NULL DEFAULT 0,
    owner           TEXT
) WITH (
    fillfactor = 90,
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0.05,
    autovacuum_vacuum_cost_delay = 0
);
CREATE INDEX deliveries_due ON deliveries (subscription_id, due_at, id);
CREATE INDEX deliveries_position ON deliveries (position);

-- Every attempt (and every redelivery) of every delivery; append-only, purged in batches.
CREATE TABLE attempts (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position        BIGINT  NOT NULL,
    subscription_id TEXT    NOT NULL,
    attempt         INTEGER NOT NULL,
    at              BIGINT  NOT NULL,
    outcome         TEXT    NOT NULL,
    status          INTEGER,
    latency_ms      INTEGER NOT NULL,
    error           TEXT,
    response        TEXT
);
CREATE INDEX attempts_delivery ON attempts (position, subscription_id);
CREATE INDEX attempts_at ON attempts (at);

CREATE TABLE dead_letters (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    position         BIGINT  NOT NULL,
    subscription_id  TEXT    NOT NULL,
    event_type       TEXT    NOT NULL,
    reason           TEXT    NOT NULL,
    last_status      INTEGER,
    attempts         INTEGER NOT NULL,
    dead_lettered_at BIGINT  NOT NULL
);
CREATE INDEX dead_letters_subscription ON dead_letters (subscription_id, id);
CREATE INDEX dead_letters_position ON dead_letters (position);

-- Subscriptions in their wire form (JSON), parsed by the same code as request bodies; the
-- signing secrets (write-only, never in `spec`) and the gateway's state of it apart.
CREATE TABLE subscriptions (
    id                 TEXT   PRIMARY KEY,
    spec               TEXT   NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    secrets            TEXT   NOT NULL DEFAULT '[]',
    status             TEXT   NOT NULL DEFAULT 'active',
    status_reason      TEXT,
    status_since       BIGINT,
    failing_since      BIGINT,
    granted_per_minute BIGINT,
    validation_token   TEXT
);

-- Bumped by every change to `subscriptions` (a trigger, so no writer can forget): each replica
-- polls this one row and reloads its subscriptions only when it moved.
CREATE TABLE subscriptions_version (
    single  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (single),
    version BIGINT  NOT NULL
);
INSERT INTO subscriptions_version (version) VALUES (0);

CREATE FUNCTION bump_subscriptions_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE subscriptions_version SET version = version + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER subscriptions_changed
    AFTER INSERT OR UPDATE OR DELETE ON subscriptions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_subscriptions_version();
