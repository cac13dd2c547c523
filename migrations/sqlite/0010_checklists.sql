-- The items a reviewer checked at a step (comma-separated keys: the review's four items, or
-- the paper materials received).
ALTER TABLE application_events ADD COLUMN checklist TEXT NOT NULL DEFAULT '';
