-- A search counts each person found by a later word once, at their first word in the
-- range. Each word now names the person's word just before it (none for their first), so
-- that "no earlier word of theirs matches" is `previous < low` on the row itself, where it
-- was a look-up of the person's words for every word read. The app writes it with the
-- words (`lists::words`).
ALTER TABLE search_words ADD COLUMN previous TEXT COLLATE "C" CHECK (previous < word);
UPDATE search_words AS w SET previous = p.previous
FROM (SELECT word, user_id, LAG(word) OVER (PARTITION BY user_id ORDER BY word) AS previous
      FROM search_words) AS p
WHERE p.word = w.word AND p.user_id = w.user_id AND p.previous IS NOT NULL;
-- A search's word part tests each word's name key, email and previous word: with them in
-- the key's index PostgreSQL reads the range in order from the index alone and stops at
-- its limit, where it gathered the whole range in a bitmap first (34,692 words for "ngu"
-- among a million people). SQLite keeps the table in its key already (WITHOUT ROWID).
ALTER TABLE search_words
    DROP CONSTRAINT search_words_pkey,
    ADD PRIMARY KEY (word, user_id) INCLUDE (name_key, email, previous);
-- A search's word part looks each word's person up in the profile by this key. With the
-- access level in it the look-up is the key's index alone: a cached generic plan, blind to
-- how big the profile is, took the name index (profile, access, name, person) instead and
-- read every member at that level for each word (730 ms for a count at 100k people).
ALTER TABLE memberships
    DROP CONSTRAINT memberships_pkey,
    ADD PRIMARY KEY (profile_id, user_id) INCLUDE (access);
-- The planner's figures for the rewritten table; the next VACUUM (autovacuum's, soon after
-- a rewrite this size) lets the key's index be read alone again.
ANALYZE search_words;
