-- Invitations: a manager adds an address that has no account they may see, and the person
-- joins when they follow the mailed link. A row is the invitation's whole record, kept once
-- it is closed: accepted, revoked, or expired (the sweeper closes it at its expiry). The
-- token is the SHA-256 of the link's secret; resending replaces it.
-- (migrations/sqlite/0028_invitations.sql keeps the same rules.)
CREATE TABLE invitations (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- An invitation to a profile goes with it.
    profile_id BIGINT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    email      TEXT NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    access     TEXT NOT NULL CHECK (access IN ('manager', 'member')),
    token      TEXT NOT NULL UNIQUE,
    -- The record stays when the account that invited, revoked or accepted goes.
    invited_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    invited_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at    TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    outcome    TEXT CHECK (outcome IN ('accepted', 'revoked', 'expired')),
    closed_at  TIMESTAMPTZ,
    closed_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    CHECK ((outcome IS NULL) = (closed_at IS NULL)),
    CHECK (outcome IS DISTINCT FROM 'expired' OR closed_by IS NULL),
    CHECK (invited_at <= sent_at AND sent_at < expires_at)
);
-- One open invitation per address and profile: two invitations at once make one.
CREATE UNIQUE INDEX invitations_open_key ON invitations (profile_id, email) WHERE outcome IS NULL;
-- A profile's open invitations, newest first, and all of them for its history.
CREATE INDEX invitations_open_idx ON invitations (profile_id, id) WHERE outcome IS NULL;
CREATE INDEX invitations_profile_idx ON invitations (profile_id, id);
-- The sweep of expired invitations.
CREATE INDEX invitations_expiry_idx ON invitations (expires_at) WHERE outcome IS NULL;
-- The SET NULL when an account goes.
CREATE INDEX invitations_invited_by_idx ON invitations (invited_by) WHERE invited_by IS NOT NULL;
CREATE INDEX invitations_closed_by_idx ON invitations (closed_by) WHERE closed_by IS NOT NULL;

-- A closed invitation is a record: it is never reopened or changed (but for the SET NULL of
-- an account that goes, which names neither column).
CREATE FUNCTION invitations_closed_are_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a closed invitation is final'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'invitation_closed';
END $$;
CREATE TRIGGER invitations_closed_are_final BEFORE UPDATE OF outcome, closed_at, token, expires_at
ON invitations FOR EACH ROW WHEN (OLD.outcome IS NOT NULL)
EXECUTE FUNCTION invitations_closed_are_final();

-- The invitation an entry of the history came from: "joined by invitation".
ALTER TABLE history ADD COLUMN invitation_id BIGINT;
