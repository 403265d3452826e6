-- A history filtered by kind of change reads its own index, newest first, instead of
-- walking every entry of the profile or the person to find the few of that kind.
-- (migrations/sqlite/0007_history_filters.sql does the same.)
CREATE INDEX history_profile_action_idx ON history (profile_id, action, id) WHERE profile_id IS NOT NULL;
CREATE INDEX history_user_action_idx ON history (user_id, action, id);
