-- Explicit Lark department (open_department_id) → unit mapping, set by an admin (/绑定部门). A user in a mapped department is bound to
-- that unit without a request; department names are never matched against unit names (another government's
-- 市公安局 has the same name).
CREATE TABLE department_units (
  department_id TEXT PRIMARY KEY,
  unit_id INTEGER NOT NULL REFERENCES units(id),
  bound_by TEXT NOT NULL,
  bound_at TEXT NOT NULL
);
