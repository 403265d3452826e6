-- A role's holders carry a copy of their person's name key and email, as memberships do
-- (0003_scale.sql), so that a role's list by name reads the role's own index instead of
-- sorting every holder, and a search reads a page from each of two indexes. The composite
-- foreign key keeps the copy equal to the user's row and carries changes over.
-- (migrations/sqlite/0006_holder_copies.sql does the same.)
ALTER TABLE user_roles ADD COLUMN name_key TEXT COLLATE "C", ADD COLUMN email TEXT COLLATE "C";
UPDATE user_roles ur SET name_key = u.name_key, email = u.email FROM users u WHERE u.id = ur.user_id;
ALTER TABLE user_roles ALTER COLUMN name_key SET NOT NULL, ALTER COLUMN email SET NOT NULL;
ALTER TABLE user_roles
    ADD CONSTRAINT user_roles_user_copy_fkey FOREIGN KEY (user_id, name_key, email)
        REFERENCES users (id, name_key, email) ON DELETE CASCADE ON UPDATE CASCADE,
    DROP CONSTRAINT user_roles_user_id_fkey;

-- A role's people by name, and a search's two arms (the email arm leaves out people whose
-- name matches too, so it needs the name key).
CREATE INDEX user_roles_name_idx ON user_roles (role_id, name_key, user_id);
CREATE INDEX user_roles_email_idx ON user_roles (role_id, email, name_key);
