-- Provisioning by an identity provider over SCIM (crate::scim).
-- (migrations/postgres/0034_provisioning.sql keeps the same rules.)

-- A person's SCIM userName is their email, unless the provider names them otherwise
-- ("jdoe"): then that name is kept here, and the email comes from their `emails`. A name
-- with an "@" is always the email, so the two never clash.
ALTER TABLE users ADD COLUMN scim_user_name TEXT
    CHECK (length(scim_user_name) BETWEEN 1 AND 254 AND instr(scim_user_name, '@') = 0);
CREATE UNIQUE INDEX users_scim_user_name_key ON users (scim_user_name COLLATE NOCASE)
    WHERE scim_user_name IS NOT NULL;
-- The provider's own id for the person or group (SCIM externalId).
ALTER TABLE users ADD COLUMN external_id TEXT CHECK (length(external_id) BETWEEN 1 AND 255);
CREATE INDEX users_external_id_idx ON users (external_id) WHERE external_id IS NOT NULL;
-- What the provider said of the person that Roster has no column for (the parts of their
-- name, their addresses as sent), and which attributes it stated: a JSON object.
ALTER TABLE users ADD COLUMN scim_attributes TEXT
    CHECK (scim_attributes IS NULL OR (json_valid(scim_attributes) AND length(scim_attributes) <= 8000));

-- A profile the provider manages (`provisioned_at` set): its members change only over SCIM,
-- and it needs no manager while the provider owns it. `provisioned_by` is the token that
-- manages it; revoking the token leaves the profile the provider's until an admin takes it
-- back.
ALTER TABLE profiles ADD COLUMN provisioned_at TEXT;
ALTER TABLE profiles ADD COLUMN provisioned_by INTEGER REFERENCES api_tokens (id) ON DELETE SET NULL
    CHECK (provisioned_by IS NULL OR provisioned_at IS NOT NULL);
ALTER TABLE profiles ADD COLUMN external_id TEXT
    CHECK (external_id IS NULL OR (provisioned_at IS NOT NULL AND length(external_id) BETWEEN 1 AND 255));
CREATE INDEX profiles_provisioned_idx ON profiles (id) WHERE provisioned_at IS NOT NULL;
CREATE INDEX profiles_provisioned_by_idx ON profiles (provisioned_by) WHERE provisioned_by IS NOT NULL;

-- The rule of 0029_membership_ends.sql, for the profiles people manage.
DROP TRIGGER memberships_keep_a_manager_delete;
DROP TRIGGER memberships_keep_a_manager_update;

CREATE TRIGGER memberships_keep_a_manager_delete BEFORE DELETE ON memberships
WHEN OLD.access = 'manager' AND OLD.ends_at IS NULL
    AND EXISTS (SELECT 1 FROM profiles WHERE id = OLD.profile_id AND provisioned_at IS NULL)
    AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id)
    AND NOT EXISTS (SELECT 1 FROM memberships
                    WHERE profile_id = OLD.profile_id AND access = 'manager' AND ends_at IS NULL
                      AND user_id <> OLD.user_id)
BEGIN
    SELECT RAISE(ABORT, 'profile_needs_a_manager');
END;

CREATE TRIGGER memberships_keep_a_manager_update BEFORE UPDATE OF access, ends_at ON memberships
WHEN OLD.access = 'manager' AND OLD.ends_at IS NULL
    AND (NEW.access <> 'manager' OR NEW.ends_at IS NOT NULL)
    AND EXISTS (SELECT 1 FROM profiles WHERE id = OLD.profile_id AND provisioned_at IS NULL)
    AND NOT EXISTS (SELECT 1 FROM memberships
                    WHERE profile_id = OLD.profile_id AND access = 'manager' AND ends_at IS NULL
                      AND user_id <> OLD.user_id)
BEGIN
    SELECT RAISE(ABORT, 'profile_needs_a_manager');
END;

-- Taking a profile back from the provider needs a manager whose access doesn't end.
CREATE TRIGGER profiles_keep_a_manager_release BEFORE UPDATE OF provisioned_at ON profiles
WHEN OLD.provisioned_at IS NOT NULL AND NEW.provisioned_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM memberships
                    WHERE profile_id = OLD.id AND access = 'manager' AND ends_at IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'profile_needs_a_manager');
END;
