-- When this session's password was last given: at sign-in, or when its owner confirmed it
-- again. Admin changes that hand out or take away power (granting or revoking admin,
-- deleting an account) ask for the password again once this is more than a few minutes old.
-- NULL for sessions from before, which count as long ago.
ALTER TABLE sessions ADD COLUMN password_at BIGINT;
