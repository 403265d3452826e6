-- Provisioning by an identity provider over SCIM (crate::scim).
-- (migrations/sqlite/0034_provisioning.sql keeps the same rules.)

-- A person's SCIM userName is their email, unless the provider names them otherwise
-- ("jdoe"): then that name is kept here, and the email comes from their `emails`. A name
-- with an "@" is always the email, so the two never clash.
ALTER TABLE users ADD COLUMN scim_user_name TEXT
    CHECK (char_length(scim_user_name) BETWEEN 1 AND 254 AND strpos(scim_user_name, '@') = 0);
CREATE UNIQUE INDEX users_scim_user_name_key ON users (lower(scim_user_name))
    WHERE scim_user_name IS NOT NULL;
-- The provider's own id for the person or group (SCIM externalId).
ALTER TABLE users ADD COLUMN external_id TEXT CHECK (char_length(external_id) BETWEEN 1 AND 255);
CREATE INDEX users_external_id_idx ON users (external_id) WHERE external_id IS NOT NULL;
-- What the provider said of the person that Roster has no column for (the parts of their
-- name, their addresses as sent), and which attributes it stated: a JSON object.
ALTER TABLE users ADD COLUMN scim_attributes TEXT
    CHECK (scim_attributes IS NULL OR (octet_length(scim_attributes) <= 8000 AND scim_attributes::jsonb IS NOT NULL));

-- A profile the provider manages (`provisioned_at` set): its members change only over SCIM,
-- and it needs no manager while the provider owns it. `provisioned_by` is the token that
-- manages it; revoking the token leaves the profile the provider's until an admin takes it
-- back.
ALTER TABLE profiles ADD COLUMN provisioned_at TIMESTAMPTZ;
ALTER TABLE profiles ADD COLUMN provisioned_by BIGINT REFERENCES api_tokens (id) ON DELETE SET NULL
    CHECK (provisioned_by IS NULL OR provisioned_at IS NOT NULL);
ALTER TABLE profiles ADD COLUMN external_id TEXT
    CHECK (external_id IS NULL OR (provisioned_at IS NOT NULL AND char_length(external_id) BETWEEN 1 AND 255));
CREATE INDEX profiles_provisioned_idx ON profiles (id) WHERE provisioned_at IS NOT NULL;
CREATE INDEX profiles_provisioned_by_idx ON profiles (provisioned_by) WHERE provisioned_by IS NOT NULL;

-- The rule of 0029_membership_ends.sql, for the profiles people manage.
CREATE OR REPLACE FUNCTION memberships_keep_a_manager() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.access = 'manager' AND OLD.ends_at IS NULL
        AND (TG_OP = 'DELETE' OR NEW.access <> 'manager' OR NEW.ends_at IS NOT NULL)
    THEN
        PERFORM 1 FROM profiles WHERE id = OLD.profile_id AND provisioned_at IS NULL FOR UPDATE;
        IF FOUND
            AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id)
            AND NOT EXISTS (SELECT 1 FROM memberships
                            WHERE profile_id = OLD.profile_id AND access = 'manager'
                              AND ends_at IS NULL AND user_id <> OLD.user_id)
        THEN
            RAISE EXCEPTION 'a profile needs at least one manager'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'profile_needs_a_manager';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

-- Taking a profile back from the provider needs a manager whose access doesn't end.
CREATE FUNCTION profiles_keep_a_manager_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM memberships
                   WHERE profile_id = OLD.id AND access = 'manager' AND ends_at IS NULL)
    THEN
        RAISE EXCEPTION 'a profile needs at least one manager'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'profile_needs_a_manager';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER profiles_keep_a_manager_release BEFORE UPDATE OF provisioned_at ON profiles
    FOR EACH ROW WHEN (OLD.provisioned_at IS NOT NULL AND NEW.provisioned_at IS NULL)
    EXECUTE FUNCTION profiles_keep_a_manager_release();
