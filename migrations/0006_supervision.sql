-- 督办 loop (issue 16): the record of every push (留痕). Both tables are append-only: the code has no update or
-- delete path, and the triggers refuse one from anywhere else, because a 督查 review asks exactly who pushed whom
-- and when, and a record that can be edited answers nothing. (Triggers stay on one line: the statement splitter
-- ends a statement at a `;` that closes a line.)

-- One row per push: a reminder, a 催办, an in-app urgent notification, a 通报 or a report.
CREATE TABLE supervision_events (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('reminder', 'cuiban', 'urgent', 'tongbao', 'report')),
  actor_open_id TEXT,                   -- who pushed; NULL for the scheduler
  unit_id INTEGER REFERENCES units(id), -- whom (NULL for a 通报 to the supervising chat)
  recipients TEXT NOT NULL,             -- JSON array: chat_ids and/or open_ids the push went to
  items TEXT NOT NULL,                  -- JSON array of item keys, e.g. ["indicator:21@2026Q4"]
  items_key TEXT NOT NULL,              -- the sorted item keys joined: "the same items" is equality
  detail TEXT,                          -- JSON: names, due date, what the card said
  ref_event_id INTEGER REFERENCES supervision_events(id), -- an urgent notification → its 催办
  created_at TEXT NOT NULL
);
CREATE INDEX supervision_events_by_unit ON supervision_events (unit_id, kind, created_at);

-- The delivery result of each send a push made, appended when the outbox worker finishes with it.
CREATE TABLE supervision_deliveries (
  id INTEGER PRIMARY KEY,
  event_id INTEGER NOT NULL REFERENCES supervision_events(id),
  outbox_id INTEGER NOT NULL,
  target TEXT NOT NULL,
  result TEXT NOT NULL CHECK (result IN ('sent', 'failed')),
  message_id TEXT,
  error TEXT,
  at TEXT NOT NULL
);
CREATE INDEX supervision_deliveries_by_event ON supervision_deliveries (event_id);

CREATE TRIGGER supervision_events_no_update BEFORE UPDATE ON supervision_events BEGIN SELECT RAISE(ABORT, 'supervision_events is append-only'); END;
CREATE TRIGGER supervision_events_no_delete BEFORE DELETE ON supervision_events BEGIN SELECT RAISE(ABORT, 'supervision_events is append-only'); END;
CREATE TRIGGER supervision_deliveries_no_update BEFORE UPDATE ON supervision_deliveries BEGIN SELECT RAISE(ABORT, 'supervision_deliveries is append-only'); END;
CREATE TRIGGER supervision_deliveries_no_delete BEFORE DELETE ON supervision_deliveries BEGIN SELECT RAISE(ABORT, 'supervision_deliveries is append-only'); END;
