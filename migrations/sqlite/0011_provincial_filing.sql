-- The provincial filing (省编办备案) of the paper materials, where the configuration asks for it:
-- fixed at submission like the chain ('pending' when asked for, NULL when not), 'done' once the
-- provincial office has filed them.
ALTER TABLE applications ADD COLUMN filing TEXT CHECK (filing IN ('pending', 'done'));
