-- Mail waiting to go out (server::mail), so that sending never holds up a request and a
-- restart loses nothing. Times are Unix seconds. A message is deleted once delivered. One
-- that still can't be delivered after its last retry stays, marked failed, for admins to
-- see, with its body erased: the links in a body are secrets.
CREATE TABLE mail_queue (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient       TEXT NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),
    subject         TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    queued_at       INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- While waiting: when it is next due (a sender that claims it moves this past its lease).
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT CHECK (length(last_error) <= 1000),
    failed_at       INTEGER,
    CHECK (failed_at IS NULL OR (last_error IS NOT NULL AND text_body = '' AND html_body = ''))
);
-- Serves the sender's "what is due" and the admins' list of failures.
CREATE INDEX mail_queue_due_idx ON mail_queue (next_attempt_at) WHERE failed_at IS NULL;
CREATE INDEX mail_queue_failed_idx ON mail_queue (failed_at) WHERE failed_at IS NOT NULL;
