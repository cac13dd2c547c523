-- One-time codes for resetting a password by the account's registered mobile or e-mail: only
-- a hash of the code is kept, with its expiry and the wrong guesses against it.
CREATE TABLE password_resets (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX password_resets_account ON password_resets (account_id, id);
