-- Plans sent to the bot as files wait here between the preview and 确认导入: nothing reaches plans/tasks before an
-- admin confirms. The parse is kept (not the file), so confirming stores exactly what the preview showed.
CREATE TABLE pending_imports (
  id INTEGER PRIMARY KEY,
  nonce TEXT NOT NULL,                  -- in the preview's buttons: a guessed id alone cannot confirm
  open_id TEXT NOT NULL,                -- who sent the file
  chat_id TEXT NOT NULL,
  file_name TEXT NOT NULL,
  file_hash TEXT NOT NULL,              -- sha256 of the file bytes, stored as plans.source_hash on confirm
  parsed TEXT NOT NULL,                 -- JSON of the ParsedPlan the preview showed
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'cancelled')),
  created_at TEXT NOT NULL,
  decided_by TEXT,
  decided_at TEXT,
  plan_id INTEGER REFERENCES plans(id)  -- the stored plan, once confirmed
);
CREATE INDEX pending_imports_status ON pending_imports (status, created_at);
