-- Search finds a person by the start of any word of their name and any part of their email
-- after a '.', '-', '_', '+' or '@': "bro" finds Bob Brown and bob.brown@example.com. The
-- first word and the whole email are the users' own name_key and email indexes; this table
-- holds the rest, one row per word start, as the key from there on ("brown", and
-- "brown@example.com", "example.com", "com"). The app cuts the words (`lists::words`, one
-- rule for both databases). Each row carries the name key and email it was cut from, and
-- the foreign key refuses to change them under it: a rename or a new address replaces the
-- person's words in its own transaction, or fails. The words of the people already here are
-- written by the app when it next starts (the backlog tally asks for that).
CREATE TABLE search_words (
    word     TEXT COLLATE "C" NOT NULL,
    user_id  BIGINT NOT NULL,
    name_key TEXT COLLATE "C" NOT NULL,
    email    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (word, user_id),
    FOREIGN KEY (user_id, name_key, email) REFERENCES users (id, name_key, email) ON DELETE CASCADE
);
-- A person's own words: whether a word before this one matches too, and deleting them.
CREATE INDEX search_words_user_idx ON search_words (user_id, word);
INSERT INTO tallies (name, value) SELECT 'search_words_backlog', COUNT(*) FROM users;
