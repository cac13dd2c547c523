-- The account lists (the admin's, an office's units) are read a page at a time in this order:
-- the index gives the page without sorting every account (50,000 accounts: 16 ms → 0.1 ms for
-- the first page of all, 7 ms for the first page of a county's units).
CREATE INDEX accounts_listing ON accounts (role, level, region, id);
