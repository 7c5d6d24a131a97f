-- A claim looks, per due row, for an earlier row to the same target still 'sending' or waiting for its retry
-- (one chat's messages in id order across instances): by target, not by scanning every pending row of a backlog.
CREATE INDEX outbox_by_target ON outbox (target, status, id);
