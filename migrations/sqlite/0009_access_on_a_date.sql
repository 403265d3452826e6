-- "Who had access on a date" takes each person's last entry before the date. Two ways in,
-- chosen by how many of the profile's entries come before it
-- (src/history.rs, `history::ssr::access_at`):
-- - few: all of them, along the profile's entries in time order (history_profile_at_idx);
-- - many: the profile's entries in person order (history_profile_user_idx), a page's worth.
-- Both indexes carry what the test of each entry reads (its time and the access it left),
-- so neither walk looks the entries up in the table. The rowid, `id`, ends every index.
-- (migrations/postgres/0009_access_on_a_date.sql does the same.)
CREATE INDEX history_profile_at_idx ON history (profile_id, at, user_id, access_after)
    WHERE profile_id IS NOT NULL;
DROP INDEX history_profile_user_idx;
CREATE INDEX history_profile_user_idx ON history (profile_id, user_id, id, at, access_after)
    WHERE profile_id IS NOT NULL;
