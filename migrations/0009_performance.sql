-- Which groups a unit belongs to (is a report from this street office the lead's, through 各街道?) is asked once per
-- reported value when the latest values are read; the primary key (group_id, unit_id) cannot answer it, so every
-- such question scanned the whole membership table.
CREATE INDEX unit_group_members_by_unit ON unit_group_members (unit_id, group_id);
