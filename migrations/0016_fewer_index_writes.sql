-- Every index is one more page written to the WAL by each insert (and by each status change of an outbox row).
-- Two serve no query that another index does not serve as well:
-- reports_by_indicator (indicator_id, unit_id, period, id) is a prefix of reports_latest (…, id, value): every
-- statement that sought or skipped through it does the same on reports_latest, which also covers the value.
DROP INDEX reports_by_indicator;
-- outbox_due (status, next_attempt_at): the claim and the prune look up a status, which outbox_due_priority
-- (status, priority, next_attempt_at) finds as well; the claim orders by priority anyway.
DROP INDEX outbox_due;
