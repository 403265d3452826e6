-- Failed sign-ins, one row each, keyed by account ("account:EMAIL") and by client address
-- ("address:IP"). The limiter counts a key's rows inside its window before checking a
-- password, and sweeps rows older than the window as it writes.
CREATE TABLE sign_in_failures (
    key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 300),
    at  INTEGER NOT NULL CHECK (at > 0)
);
CREATE INDEX sign_in_failures_key_idx ON sign_in_failures (key, at);
CREATE INDEX sign_in_failures_at_idx ON sign_in_failures (at);
