-- The one-time link that makes the first administrator, offered at start while no one holds
-- `admin` (auth::ssr::offer_setup_link). The id is the SHA-256 of the link's token; making
-- the administrator deletes the row in the same transaction, so the link works once.
CREATE TABLE setup_tokens (
    id         TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
