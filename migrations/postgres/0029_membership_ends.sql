-- Memberships that end: a manager may give a membership an end date, from which it grants
-- nothing (access checks compare it with the clock). The sweeper then takes the row off the
-- profile and records the expiry in history at the moment it ended, and mails a notice a
-- week before. (migrations/sqlite/0029_membership_ends.sql keeps the same rules.)
ALTER TABLE memberships ADD COLUMN ends_at TIMESTAMPTZ CHECK (ends_at IS NULL OR ends_at > added_at);
-- When the week's notice went out for the current end date; a new end date clears it.
ALTER TABLE memberships ADD COLUMN end_notice_at TIMESTAMPTZ;
-- The sweep's walk through ends, and the notices' walk through the coming week; and the
-- ends of one profile's memberships or one person's, settled before a change to them.
CREATE INDEX memberships_ends_idx ON memberships (ends_at) WHERE ends_at IS NOT NULL;
CREATE INDEX memberships_profile_ends_idx ON memberships (profile_id, ends_at) WHERE ends_at IS NOT NULL;
CREATE INDEX memberships_user_ends_idx ON memberships (user_id, ends_at) WHERE ends_at IS NOT NULL;

-- A profile always keeps a manager whose access doesn't end: managers with end dates would
-- otherwise leave it without one, in time. So the last manager without an end date can't be
-- removed, demoted or given an end date. Concurrent changes still queue on the profile's row
-- (0002_rules.sql).
CREATE OR REPLACE FUNCTION memberships_keep_a_manager() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.access = 'manager' AND OLD.ends_at IS NULL
        AND (TG_OP = 'DELETE' OR NEW.access <> 'manager' OR NEW.ends_at IS NOT NULL)
    THEN
        PERFORM 1 FROM profiles WHERE id = OLD.profile_id FOR UPDATE;
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
DROP TRIGGER memberships_keep_a_manager ON memberships;
CREATE TRIGGER memberships_keep_a_manager BEFORE DELETE OR UPDATE OF access, ends_at ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_keep_a_manager();

-- An entry that records a membership's end: a removal by no one, at the moment it ended.
ALTER TABLE history ADD COLUMN expired BOOLEAN NOT NULL DEFAULT false
    CHECK (NOT expired OR (action = 'removed' AND actor_id IS NULL));

-- Every end date set, moved or cleared, by whom and when: the record of extensions that
-- history's access levels don't hold. Append-only, and like history its ids are not
-- foreign keys, so the record outlives what it describes.
CREATE TABLE end_date_changes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_id    BIGINT,
    profile_id  BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    ends_before TIMESTAMPTZ,
    ends_after  TIMESTAMPTZ,
    CHECK (ends_before IS DISTINCT FROM ends_after)
);
CREATE INDEX end_date_changes_profile_idx ON end_date_changes (profile_id, id);
CREATE INDEX end_date_changes_user_idx ON end_date_changes (user_id, id);

CREATE TRIGGER end_date_changes_append_only BEFORE UPDATE OR DELETE ON end_date_changes
    FOR EACH ROW EXECUTE FUNCTION history_is_append_only();
CREATE TRIGGER end_date_changes_append_only_truncate BEFORE TRUNCATE ON end_date_changes
    FOR EACH STATEMENT EXECUTE FUNCTION history_is_append_only();

-- The end of the membership an invitation offers; the link stops working by then at the latest.
ALTER TABLE invitations ADD COLUMN membership_ends_at TIMESTAMPTZ
    CHECK (membership_ends_at IS NULL OR expires_at <= membership_ends_at);
