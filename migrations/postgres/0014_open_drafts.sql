-- A person's bulk changes still waiting to be applied, counted against the bound on open
-- drafts each time they start another (bulk::ssr::save). Also serves the cascade from users,
-- which had no index to follow.
CREATE INDEX bulk_changes_creator_idx ON bulk_changes (created_by, applied_at);
