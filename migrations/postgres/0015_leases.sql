-- Leases: work that one instance of several sharing the database does at a time (the round of
-- scheduled checks and enforcement rules). The holder renews its lease while it works; when it
-- dies, the lease runs out and another instance takes the work over.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
