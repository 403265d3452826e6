-- Bulk changes that carry terms: an add may give everyone it adds one last day, and an
-- import (a CSV file of email, access and last day) gives each row its own, so it has no
-- access of its own. (migrations/sqlite/0030_bulk_terms.sql keeps the same rules.)
ALTER TABLE bulk_changes
    DROP CONSTRAINT bulk_changes_kind_check,
    DROP CONSTRAINT bulk_changes_check,
    -- The end every person an add adds gets, if any.
    ADD COLUMN ends_at TIMESTAMPTZ,
    ADD CONSTRAINT bulk_changes_kind_check CHECK (kind IN ('add', 'remove', 'set_access', 'import')),
    ADD CONSTRAINT bulk_changes_access_check1 CHECK ((kind IN ('remove', 'import')) = (access IS NULL)),
    ADD CONSTRAINT bulk_changes_ends_check CHECK (ends_at IS NULL OR kind = 'add');
