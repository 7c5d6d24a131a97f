-- Several instances share one database (PostgreSQL): a row an instance claimed carries the claim time, and only a
-- claim older than the lease (the instance died mid-send) is taken over by another; a live instance's rows are not.
ALTER TABLE outbox ADD COLUMN claimed_at TEXT;
