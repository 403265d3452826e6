-- Access reviews: a manager goes through everyone on a profile and decides, for each, to keep
-- them, change their access or remove them; completing the review applies every decision in
-- one transaction, and the history names the review. A profile may require one every so
-- many days; its managers are mailed when one is due.
-- (migrations/postgres/0031_access_reviews.sql keeps the same rules.)
CREATE TABLE reviews (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id   INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    -- The record stays when the account that started or completed it goes.
    started_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    started_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    completed_at TEXT,
    completed_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- How many people it has decided about, and how many of them it removes or changes:
    -- kept with each decision, so its progress is read without counting them.
    decided      INTEGER NOT NULL DEFAULT 0 CHECK (decided >= 0),
    removals     INTEGER NOT NULL DEFAULT 0 CHECK (removals >= 0),
    changes      INTEGER NOT NULL DEFAULT 0 CHECK (changes >= 0),
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
    review_id  INTEGER NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    decision   TEXT NOT NULL CHECK (decision IN ('keep', 'change', 'remove')),
    access     TEXT CHECK (access IN ('manager', 'member')),
    decided_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    decided_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (review_id, user_id),
    CHECK ((decision = 'change') = (access IS NOT NULL))
) WITHOUT ROWID;
CREATE INDEX review_decisions_user_idx ON review_decisions (user_id);
CREATE INDEX review_decisions_decided_by_idx ON review_decisions (decided_by) WHERE decided_by IS NOT NULL;

-- A completed review's decisions are its record.
CREATE TRIGGER review_decisions_final_insert BEFORE INSERT ON review_decisions
WHEN (SELECT completed_at FROM reviews WHERE id = NEW.review_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'review_completed');
END;
CREATE TRIGGER review_decisions_final_update BEFORE UPDATE ON review_decisions
WHEN (SELECT completed_at FROM reviews WHERE id = OLD.review_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'review_completed');
END;

-- The review an entry of the history came from.
ALTER TABLE history ADD COLUMN review_id INTEGER;

-- Every how many days the profile must be reviewed, if it must; when the next review is due
-- (kept by the application: from the last completed review, or from when it was required);
-- and when its managers were last reminded.
ALTER TABLE profiles ADD COLUMN review_every_days INTEGER CHECK (review_every_days BETWEEN 1 AND 3650);
ALTER TABLE profiles ADD COLUMN review_due_at TEXT;
ALTER TABLE profiles ADD COLUMN review_reminded_at TEXT;
-- The sweep's walk through reviews due.
CREATE INDEX profiles_review_due_idx ON profiles (review_due_at) WHERE review_due_at IS NOT NULL;
