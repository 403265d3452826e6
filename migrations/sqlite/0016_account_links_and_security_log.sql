-- One-time links sent by mail (server::tokens): to set a new password, to confirm an email
-- address. The id is the SHA-256 of the link's token, so a copy of this table can't be used
-- as links. Using a link deletes its row in the transaction that acts on it, so it works
-- once; a new link of the same purpose replaces the account's last one. Times are Unix
-- seconds. Deleting the account deletes its links.
CREATE TABLE account_tokens (
    id         TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('reset_password', 'confirm_email', 'change_email')),
    -- For 'change_email': the address that the link confirms.
    new_email  TEXT CHECK (length(new_email) BETWEEN 3 AND 254),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    CHECK (created_at < expires_at),
    CHECK ((purpose = 'change_email') = (new_email IS NOT NULL))
) WITHOUT ROWID;
-- Serves "replace this account's link" and the cascade from users.
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);
-- Serves the sweep of expired links.
CREATE INDEX account_tokens_expires_idx ON account_tokens (expires_at);

-- Each account's security log (security_log): sign-ins, failures, password and email
-- changes, resets, confirmations, deactivation. Shown to the person and to admins. It goes
-- with the account.
CREATE TABLE security_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind     TEXT NOT NULL CHECK (kind IN ('signed_in', 'sign_in_failed', 'signed_out_everywhere', 'session_ended', 'password_changed', 'password_reset', 'password_set', 'reset_requested', 'reset_link_sent', 'email_change_requested', 'email_changed', 'email_confirmed', 'registration_attempted', 'deactivated', 'reactivated')),
    at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- The client's address, when the event came from a request.
    address  TEXT CHECK (length(address) <= 64),
    -- Who did it, when it was someone else (an admin); the entry stays if they leave.
    actor_id INTEGER REFERENCES users (id) ON DELETE SET NULL
);
-- Serves an account's log, newest first, and the cascade from users.
CREATE INDEX security_events_user_idx ON security_events (user_id, id);
-- Serves the SET NULL from users.
CREATE INDEX security_events_actor_idx ON security_events (actor_id) WHERE actor_id IS NOT NULL;

-- Sign-in tracking: the last sign-in before this one and the current one (when and from
-- where), and how many there have been.
ALTER TABLE users ADD COLUMN sign_in_count INTEGER NOT NULL DEFAULT 0 CHECK (sign_in_count >= 0);
ALTER TABLE users ADD COLUMN current_sign_in_at TEXT;
ALTER TABLE users ADD COLUMN current_sign_in_address TEXT CHECK (length(current_sign_in_address) <= 64);
ALTER TABLE users ADD COLUMN last_sign_in_at TEXT;
ALTER TABLE users ADD COLUMN last_sign_in_address TEXT CHECK (length(last_sign_in_address) <= 64);
