-- Role names are told apart ignoring case, as people read them: "Auditor" and "auditor" are
-- one name. name_key is the name in lower case, folded by the app (Unicode and all, the same
-- on both databases) on every create and rename; the unique index is the rule. Roles from
-- before whose names clash this way keep the oldest's name, and the others get their id
-- added ("auditor (7)"), so no role is lost.
UPDATE roles SET name = substr(name, 1, 50) || ' (' || id || ')'
 WHERE id NOT IN (SELECT MIN(id) FROM roles GROUP BY lower(name));
ALTER TABLE roles ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE roles SET name_key = lower(name);
CREATE UNIQUE INDEX roles_name_key_idx ON roles (name_key);
