-- Several instances on one database (PostgreSQL): Lark's send limits are per app, not per process, so the
-- instances pace their sends together. Every send leaves one row per limit it counts against ('app' for the
-- per-second and per-minute app limits, 't:<chat or user>' for the per-chat limit), at the millisecond it was
-- allowed; an instance sends only while every window has room. Rows older than the longest window are pruned.
CREATE TABLE send_pacing (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX send_pacing_key_at ON send_pacing (key, at);

-- Jobs that must run on one instance at a time (the digest and reminder schedulers): the holder renews its lease;
-- when it dies, another instance takes the lease over once it has expired.
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
