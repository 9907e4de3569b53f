-- Webhooks: a subscription's signing secrets (write-only, never in `spec`) and the gateway's
-- state of it (handshake, disabling, continuous failure), kept apart from what the client wrote.
ALTER TABLE subscriptions ADD COLUMN secrets TEXT NOT NULL DEFAULT '[]';
ALTER TABLE subscriptions ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE subscriptions ADD COLUMN status_reason TEXT;
ALTER TABLE subscriptions ADD COLUMN status_since INTEGER;
ALTER TABLE subscriptions ADD COLUMN failing_since INTEGER;
ALTER TABLE subscriptions ADD COLUMN granted_per_minute INTEGER;
ALTER TABLE subscriptions ADD COLUMN validation_token TEXT;
