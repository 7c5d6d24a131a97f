-- duban schema, applied as-is by `wrangler d1 migrations apply` on D1 and by src/store/migrate.ts on better-sqlite3.
-- Forward-only: never edit a migration that has landed; add 0002_… instead.

-- A plan is one imported document (实施方案 / 任务分解表). The jurisdiction is the issuing government
-- (e.g. 重庆市渝中区): unit names are only meaningful relative to it.
CREATE TABLE plans (
  id INTEGER PRIMARY KEY,
  jurisdiction TEXT NOT NULL,
  title TEXT NOT NULL,
  issuer TEXT,
  issued_on TEXT,                       -- ISO date
  source_file TEXT NOT NULL,
  source_hash TEXT NOT NULL,            -- sha256 of the file bytes; same hash = nothing to do
  imported_at TEXT NOT NULL,
  UNIQUE (jurisdiction, title)
);

CREATE TABLE sections (
  id INTEGER PRIMARY KEY,
  plan_id INTEGER NOT NULL REFERENCES plans(id),
  ordinal INTEGER NOT NULL,
  code TEXT,                            -- printed ordinal without punctuation: 一, (二) → 二
  title TEXT NOT NULL,
  UNIQUE (plan_id, ordinal)
);

CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  plan_id INTEGER NOT NULL REFERENCES plans(id),
  section_id INTEGER REFERENCES sections(id),
  code TEXT NOT NULL,                   -- number as printed ("1", "19") or r12 for unnumbered table rows
  ordinal INTEGER NOT NULL,
  title TEXT,
  text TEXT NOT NULL,
  deadline TEXT,                        -- ISO date when the text gives one (完成时限, 年底前)
  deadline_text TEXT,
  retired_at TEXT,                      -- set when a revised document no longer has this task
  UNIQUE (plan_id, code)
);

-- A unit is identified by (jurisdiction, canonical name). kind = 'group' for 各街道 / 各区〔市、县〕人民政府.
CREATE TABLE units (
  id INTEGER PRIMARY KEY,
  jurisdiction TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'unit' CHECK (kind IN ('unit', 'group')),
  UNIQUE (jurisdiction, name)
);

CREATE TABLE unit_aliases (
  jurisdiction TEXT NOT NULL,
  alias TEXT NOT NULL,
  unit_id INTEGER NOT NULL REFERENCES units(id),
  PRIMARY KEY (jurisdiction, alias, unit_id)
);
CREATE INDEX unit_aliases_by_alias ON unit_aliases (alias);

CREATE TABLE unit_group_members (
  group_id INTEGER NOT NULL REFERENCES units(id),
  unit_id INTEGER NOT NULL REFERENCES units(id),
  PRIMARY KEY (group_id, unit_id)
);

CREATE TABLE task_units (
  task_id INTEGER NOT NULL REFERENCES tasks(id),
  unit_id INTEGER NOT NULL REFERENCES units(id),
  role TEXT NOT NULL CHECK (role IN ('lead', 'support')),
  ordinal INTEGER NOT NULL,
  printed_name TEXT NOT NULL,
  PRIMARY KEY (task_id, unit_id)
);
CREATE INDEX task_units_by_unit ON task_units (unit_id);

CREATE TABLE indicators (
  id INTEGER PRIMARY KEY,
  task_id INTEGER NOT NULL REFERENCES tasks(id),
  ordinal INTEGER NOT NULL,
  key TEXT NOT NULL,                    -- stable identity across re-imports of a revised document
  name TEXT NOT NULL,
  unit_of_measure TEXT,                 -- %, 个, 人, /10万, ‰ …
  cmp TEXT NOT NULL CHECK (cmp IN ('>=', '<=', '=')),
  target REAL NOT NULL,
  target_year INTEGER,
  baseline REAL,
  baseline_year INTEGER,
  quote TEXT NOT NULL,
  period TEXT NOT NULL DEFAULT 'quarter' CHECK (period IN ('month', 'quarter', 'year')),
  retired_at TEXT,
  UNIQUE (task_id, key)
);

-- Lark users. unit_id is NULL for admins and supervisors who do not belong to a unit.
CREATE TABLE members (
  id INTEGER PRIMARY KEY,
  open_id TEXT NOT NULL,
  unit_id INTEGER REFERENCES units(id),
  role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin', 'supervisor')),
  name TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (open_id, unit_id, role)
);
CREATE INDEX members_by_open_id ON members (open_id);

-- A chat is bound to one unit, or is the supervising office (kind = 'supervisor', unit_id NULL).
CREATE TABLE chats (
  chat_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('unit', 'supervisor')),
  unit_id INTEGER REFERENCES units(id),
  name TEXT,
  bound_by TEXT,
  bound_at TEXT NOT NULL
);

CREATE TABLE bind_requests (
  id INTEGER PRIMARY KEY,
  open_id TEXT NOT NULL,
  unit_id INTEGER NOT NULL REFERENCES units(id),
  chat_id TEXT,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  requested_at TEXT NOT NULL,
  decided_by TEXT,
  decided_at TEXT
);

-- Reported values: append-only. A correction is a new row; the latest row per (indicator, unit, period) wins.
-- request_key makes a retried or double-clicked submission store one row.
CREATE TABLE reports (
  id INTEGER PRIMARY KEY,
  indicator_id INTEGER NOT NULL REFERENCES indicators(id),
  unit_id INTEGER NOT NULL REFERENCES units(id),
  period TEXT NOT NULL,                 -- 2026-11 | 2026Q4 | 2026
  value REAL NOT NULL,
  reporter_open_id TEXT NOT NULL,
  reported_at TEXT NOT NULL,
  note TEXT,
  request_key TEXT UNIQUE
);
CREATE INDEX reports_by_indicator ON reports (indicator_id, unit_id, period, id);

-- Durable inbox and de-duplication: one row per event_id and one per message_id. Rows stay at least 7 days
-- because Lark retries for up to ~7 hours and may resend after a successful answer.
CREATE TABLE processed_events (
  key TEXT PRIMARY KEY,                 -- "event:<event_id>" | "message:<message_id>" | "card:<…>"
  kind TEXT NOT NULL,
  received_at TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'done', 'failed', 'duplicate')),
  payload TEXT,                         -- decrypted envelope, kept until processed so a restart can resume
  error TEXT
);
CREATE INDEX processed_events_pending ON processed_events (status, received_at);

-- Outgoing messages. Every send is recorded before it is attempted, so a failure is retried, not lost.
-- dedupe_key makes a send happen once (e.g. "digest:<chat_id>:<2026-W48>").
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  dedupe_key TEXT UNIQUE,
  kind TEXT NOT NULL,                   -- reply | send_chat | send_user | ephemeral | patch | card_update
  target TEXT NOT NULL,                 -- message_id, chat_id, open_id … depending on kind
  payload TEXT NOT NULL,                -- JSON: { msg_type, content|card, … }
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error TEXT,
  created_at TEXT NOT NULL,
  sent_at TEXT,
  result_message_id TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
