-- Access tokens for scripts and identity providers: a personal token acts for the person
-- who made it (`user_id`), a service token (no `user_id`) for the organisation, made by an
-- admin. The secret is shown once; a row keeps only its SHA-256 (`digest`). Revoking a token
-- deletes its row. `scopes` is a set of bits: 1 read, 2 write, 4 admin, 8 scim
-- (crate::api_tokens::Scope).
-- (migrations/postgres/0033_api_tokens.sql keeps the same rules.)
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- A person's tokens go with their account.
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    -- A service token outlives the admin who made it.
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    digest       TEXT NOT NULL UNIQUE CHECK (length(digest) = 64),
    scopes       INTEGER NOT NULL CHECK (scopes BETWEEN 1 AND 15),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    expires_at   TEXT,
    last_used_at TEXT,
    CHECK (expires_at IS NULL OR expires_at > created_at),
    -- Only a service token provisions: a person's account is not an identity provider.
    CHECK (user_id IS NULL OR scopes & 8 = 0),
    -- A service token has no person's profiles to read: it acts as an admin or provisions.
    CHECK (user_id IS NOT NULL OR scopes & 12 <> 0),
    -- Changes through the API name a person in history: a service token changes things
    -- only by provisioning.
    CHECK (user_id IS NOT NULL OR scopes & 2 = 0)
);
-- A change made with a token names it in history, as it was named then: revoking a token
-- deletes its row, and the record stays.
ALTER TABLE history ADD COLUMN via_token TEXT;
ALTER TABLE subject_history ADD COLUMN via_token TEXT;

-- A token's name tells it apart from its owner's others (service tokens share one owner).
CREATE UNIQUE INDEX api_tokens_name_key ON api_tokens (COALESCE(user_id, 0), name);
-- The SET NULL when the admin who made a service token goes.
CREATE INDEX api_tokens_created_by_idx ON api_tokens (created_by) WHERE created_by IS NOT NULL;

-- Idempotency keys (the IETF's Idempotency-Key header): a POST retried with the same key
-- gets the first answer again instead of doing the work twice. A key belongs to the token
-- that sent it, and lapses after a day (crate::api::idempotency).
CREATE TABLE api_idempotency (
    token_id    INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    key         TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    -- The SHA-256 of the request's method, path and body: the same key with another
    -- request is the caller's mistake.
    fingerprint TEXT NOT NULL,
    -- Null while the first request is still under way.
    status      INTEGER CHECK (status BETWEEN 200 AND 499),
    body        TEXT,
    location    TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (token_id, key)
);
CREATE INDEX api_idempotency_created_idx ON api_idempotency (created_at);
