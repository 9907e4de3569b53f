-- Bumped by every change to `subscriptions` (triggers, so no writer can forget): the cache
-- polls this one row and reloads only when it moved (the same scheme as on PostgreSQL, where
-- it is how a change made through one replica reaches the others).
CREATE TABLE subscriptions_version (
    single  INTEGER PRIMARY KEY CHECK (single = 1),
    version INTEGER NOT NULL
);
INSERT INTO subscriptions_version (single, version) VALUES (1, 0);

CREATE TRIGGER subscriptions_inserted AFTER INSERT ON subscriptions
BEGIN UPDATE subscriptions_version SET version = version + 1; END;
CREATE TRIGGER subscriptions_updated AFTER UPDATE ON subscriptions
BEGIN UPDATE subscriptions_version SET version = version + 1; END;
CREATE TRIGGER subscriptions_deleted AFTER DELETE ON subscriptions
BEGIN UPDATE subscriptions_version SET version = version + 1; END;
