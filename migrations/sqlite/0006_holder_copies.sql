-- A role's holders carry a copy of their person's name key and email, as memberships do
-- (0003_scale.sql), so that a role's list by name reads the role's own index instead of
-- sorting every holder, and a search reads a page from each of two indexes. The composite
-- foreign key keeps the copy equal to the user's row and carries changes over.
-- (migrations/postgres/0006_holder_copies.sql does the same.)
-- SQLite can't add a table constraint, so the table is rebuilt, and its rules with it.
CREATE TABLE user_roles_new (
    user_id     INTEGER NOT NULL,
    role_id     INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    assigned_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    name_key    TEXT NOT NULL,
    email       TEXT NOT NULL,
    PRIMARY KEY (user_id, role_id),
    FOREIGN KEY (user_id, name_key, email) REFERENCES users (id, name_key, email)
        ON DELETE CASCADE ON UPDATE CASCADE
) WITHOUT ROWID;
INSERT INTO user_roles_new (user_id, role_id, assigned_at, name_key, email)
    SELECT ur.user_id, ur.role_id, ur.assigned_at, u.name_key, u.email
    FROM user_roles ur JOIN users u ON u.id = ur.user_id;
DROP TABLE user_roles;
ALTER TABLE user_roles_new RENAME TO user_roles;

-- The indexes the table had (0001_schema.sql, 0002_rules.sql), and the role's people by name.
CREATE INDEX user_roles_role_idx ON user_roles (role_id, user_id);
CREATE INDEX user_roles_role_since_idx ON user_roles (role_id, assigned_at, user_id);
CREATE INDEX user_roles_name_idx ON user_roles (role_id, name_key, user_id);
-- A search's email arm leaves out people whose name matches too, so it needs the name key.
CREATE INDEX user_roles_email_idx ON user_roles (role_id, email, name_key);

-- The rules the table had (0002_rules.sql and 0003_scale.sql have why).
CREATE TRIGGER user_roles_keep_an_admin BEFORE DELETE ON user_roles
WHEN OLD.role_id = (SELECT id FROM roles WHERE name = 'admin')
    AND EXISTS (SELECT 1 FROM users WHERE id = OLD.user_id)
    AND NOT EXISTS (SELECT 1 FROM user_roles WHERE role_id = OLD.role_id AND user_id <> OLD.user_id)
BEGIN
    SELECT RAISE(ABORT, 'last_admin');
END;

CREATE TRIGGER user_roles_count_insert AFTER INSERT ON user_roles
BEGIN
    UPDATE roles SET holder_count = holder_count + 1 WHERE id = NEW.role_id;
END;

CREATE TRIGGER user_roles_count_delete AFTER DELETE ON user_roles
BEGIN
    UPDATE roles SET holder_count = holder_count - 1 WHERE id = OLD.role_id;
END;
