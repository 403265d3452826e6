-- The admins' list of failed mail reads the newest first, by failure time and then id: an
-- index in that order lets it stop after a page, with nothing to sort.
DROP INDEX mail_queue_failed_idx;
CREATE INDEX mail_queue_failed_idx ON mail_queue (failed_at, id) WHERE failed_at IS NOT NULL;
