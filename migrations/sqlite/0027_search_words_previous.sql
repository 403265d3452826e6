-- A search counts each person found by a later word once, at their first word in the
-- range. Each word now names the person's word just before it (none for their first), so
-- that "no earlier word of theirs matches" is `previous < low` on the row itself, where it
-- was a look-up of the person's words for every word read. The app writes it with the
-- words (`lists::words`).
ALTER TABLE search_words ADD COLUMN previous TEXT CHECK (previous < word);
UPDATE search_words AS w SET previous = p.previous
FROM (SELECT word, user_id, LAG(word) OVER (PARTITION BY user_id ORDER BY word) AS previous
      FROM search_words) AS p
WHERE p.word = w.word AND p.user_id = w.user_id AND p.previous IS NOT NULL;
