-- Access reviews: a manager goes through everyone on a profile and decides, for each, to keep
-- them, change their access or remove them; completing the review applies every decision in
-- one transaction, and the history names the review. A profile may require one every so
-- many days; its managers are mailed when one is due.
-- (migrations/sqlite/0031_access_reviews.sql keeps the same rules.)
CREATE TABLE reviews (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    profile_id   BIGINT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    -- The record stays when the account that started or completed it goes.
    started_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at TIMESTAMPTZ,
    completed_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- How many people it has decided about, and how many of them it removes or changes:
    -- kept with each decision, so its progress is read without counting them.
    decided      BIGINT NOT NULL DEFAULT 0 CHECK (decided >= 0),
    removals     BIGINT NOT NULL DEFAULT 0 CHECK (removals >= 0),
    changes      BIGINT NOT NULL DEFAULT 0 CHECK (changes >= 0),
    CHECK (completed_at IS NULL OR completed_at >= started_at)
);
-- One review under way per profile: two started at once make one.
CREATE UNIQUE INDEX reviews_open_key ON reviews (profile_id) WHERE completed_at IS NULL;
CREATE INDEX reviews_profile_idx ON reviews (profile_id, id);
CREATE INDEX reviews_started_by_idx ON reviews (started_by) WHERE started_by IS NOT NULL;
CREATE INDEX reviews_completed_by_idx ON reviews (completed_by) WHERE completed_by IS NOT NULL;

-- A decision about one person; a person not decided is kept. A change names the access it
-- moves them to.
CREATE TABLE review_decisions (
    review_id  BIGINT NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    decision   TEXT NOT NULL CHECK (decision IN ('keep', 'change', 'remove')),
    access     TEXT CHECK (access IN ('manager', 'member')),
    decided_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    decided_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (review_id, user_id),
    CHECK ((decision = 'change') = (access IS NOT NULL))
);
CREATE INDEX review_decisions_user_idx ON review_decisions (user_id);
CREATE INDEX review_decisions_decided_by_idx ON review_decisions (decided_by) WHERE decided_by IS NOT NULL;

-- A completed review's decisions are its record.
CREATE FUNCTION review_decisions_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM reviews WHERE id = NEW.review_id AND completed_at IS NOT NULL) THEN
        RAISE EXCEPTION 'a completed review is final'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'review_completed';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER review_decisions_final BEFORE INSERT OR UPDATE ON review_decisions
    FOR EACH ROW EXECUTE FUNCTION review_decisions_final();

-- The review an entry of the history came from.
ALTER TABLE history ADD COLUMN review_id BIGINT;

-- Every how many days the profile must be reviewed, if it must; when the next review is due
-- (kept by the application: from the last completed review, or from when it was required);
-- and when its managers were last reminded.
ALTER TABLE profiles ADD COLUMN review_every_days INTEGER CHECK (review_every_days BETWEEN 1 AND 3650);
ALTER TABLE profiles ADD COLUMN review_due_at TIMESTAMPTZ;
ALTER TABLE profiles ADD COLUMN review_reminded_at TIMESTAMPTZ;
-- The sweep's walk through reviews due.
CREATE INDEX profiles_review_due_idx ON profiles (review_due_at) WHERE review_due_at IS NOT NULL;
