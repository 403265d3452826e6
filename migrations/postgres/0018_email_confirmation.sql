-- Registrations waiting for their address to be confirmed (email_confirmation = "required"):
-- the account is made only when the mailed link is used, so an address no one has confirmed
-- has no account, and no one can be added to a profile in its owner's place. The id is the
-- SHA-256 of the link's token; the password is hashed as an account's is. Registering again
-- (a lost mail) adds a row, a link of its own; the first used makes the account. Times are
-- Unix seconds.
CREATE TABLE registrations (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    display_name  TEXT NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 100),
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    CHECK (created_at < expires_at)
);
-- Serves a sign-in to an address that is still waiting, and resending its link.
CREATE INDEX registrations_email_idx ON registrations (email, created_at);
-- Serves the sweep of expired registrations.
CREATE INDEX registrations_expires_idx ON registrations (expires_at);

-- Whether the account's address is confirmed. Accounts from before, and those made by an
-- administrator or the CLI, are; with email_confirmation = "optional", a new account is not
-- until its link is used.
ALTER TABLE users ADD COLUMN email_confirmed BOOLEAN NOT NULL DEFAULT TRUE;
