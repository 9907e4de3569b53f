-- Streams: per-key ordering, replay jobs.

-- A delivery's partition key (copied from its event, so the ordered claim reads one table)
-- and the replay job it belongs to, if any.
ALTER TABLE deliveries ADD COLUMN partition_key TEXT;
ALTER TABLE deliveries ADD COLUMN replay_id TEXT;
CREATE INDEX deliveries_key ON deliveries (subscription_id, partition_key, position)
    WHERE partition_key IS NOT NULL;
CREATE INDEX deliveries_replay ON deliveries (replay_id) WHERE replay_id IS NOT NULL;

-- Replay jobs. A runner holds one by its lease (`owner`, `lease_until`); the scan position and
-- the deliveries of each step are written in one transaction, so a job taken over after a
-- crash neither skips nor repeats a step.
CREATE TABLE jobs (
    id               TEXT    PRIMARY KEY,
    subscription_id  TEXT    NOT NULL,
    spec             TEXT    NOT NULL,
    skip_known       INTEGER NOT NULL,
    status           TEXT    NOT NULL,
    total            INTEGER,
    scheduled        INTEGER NOT NULL DEFAULT 0,
    scanned_order    INTEGER,
    scanned_position INTEGER,
    error            TEXT,
    owner            TEXT,
    lease_until      INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, created_at);
