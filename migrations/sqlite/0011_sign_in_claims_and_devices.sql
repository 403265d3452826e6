-- Each sign-in attempt is counted before its password is checked, in the same transaction as
-- the check of the limit, so that guesses sent in parallel can't all pass the check before
-- any is counted. A row is one attempt's claim on one key; a sign-in that succeeds takes its
-- own claims back, by `attempt`. (Rows from before have none: they were failures.)
ALTER TABLE sign_in_failures ADD COLUMN attempt TEXT;
CREATE INDEX sign_in_failures_attempt_idx ON sign_in_failures (attempt);

-- Browsers that have signed in to an account (OWASP's "device cookies"). The id is the SHA-256
-- of the cookie's token, as for sessions. Failed sign-ins from such a browser count against
-- the browser, not the account, so a stranger's guesses, which lock the account for every
-- other browser, can't lock out its owner. Deleting the account forgets its browsers.
CREATE TABLE trusted_devices (
    id         TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    CHECK (created_at < expires_at)
) WITHOUT ROWID;
-- Serves the cascade from users, and the sweep of expired rows.
CREATE INDEX trusted_devices_user_idx ON trusted_devices (user_id);
CREATE INDEX trusted_devices_expires_idx ON trusted_devices (expires_at);
