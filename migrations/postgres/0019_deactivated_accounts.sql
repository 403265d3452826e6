-- When an admin deactivated the account; NULL while it is active. A deactivated account
-- can't sign in and has no sessions or links, and it stays on its profiles, marked as such,
-- with its history.
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMPTZ;
-- Serves "which of these people are deactivated" for a page of a list: few ever are.
CREATE INDEX users_deactivated_idx ON users (id) WHERE deactivated_at IS NOT NULL;
