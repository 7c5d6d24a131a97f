-- Interactive answers (replies, only-you cards, card updates) go before bulk sends (digests, reminders): with a
-- thousand digest rows queued under the app's rate limit, a /我的任务 answer must not wait behind them.
-- 1 = interactive (the default, so every existing writer stays interactive), 0 = bulk.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 1;
CREATE INDEX outbox_due_priority ON outbox (status, priority, next_attempt_at);
