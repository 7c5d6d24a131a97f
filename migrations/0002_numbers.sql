-- Issue 12: every indicator has a year it is due, and where that year came from. due_year_source 'text' means the
-- indicator's own text states it; anything else is an estimate shown to officials as （年份推定）.
ALTER TABLE indicators ADD COLUMN due_year INTEGER;
ALTER TABLE indicators ADD COLUMN due_year_source TEXT CHECK (due_year_source IN ('text', 'deadline', 'plan_year', 'objective_year'));

-- Backfill rows imported before this migration, in the importer's order: the stated year, the measure's deadline,
-- the plan's objective year (the latest year any of its indicators states). The plan year of an annual plan is only
-- known from its title, which the importer reads on the next import.
UPDATE indicators SET due_year = target_year, due_year_source = 'text' WHERE target_year IS NOT NULL;
UPDATE indicators SET
  due_year = (SELECT CAST(substr(t.deadline, 1, 4) AS INTEGER) FROM tasks t WHERE t.id = indicators.task_id),
  due_year_source = 'deadline'
WHERE due_year IS NULL
  AND (SELECT t.deadline FROM tasks t WHERE t.id = indicators.task_id) IS NOT NULL;
UPDATE indicators SET
  due_year = (SELECT MAX(i2.target_year) FROM indicators i2 JOIN tasks t2 ON t2.id = i2.task_id
              WHERE t2.plan_id = (SELECT t.plan_id FROM tasks t WHERE t.id = indicators.task_id)),
  due_year_source = 'objective_year'
WHERE due_year IS NULL;
UPDATE indicators SET due_year_source = NULL WHERE due_year IS NULL;

-- The latest value of an indicator is the lead unit's newest period, newest row: read per (indicator, unit) in
-- period order from this index without touching the table.
CREATE INDEX reports_latest ON reports (indicator_id, unit_id, period, id, value);
