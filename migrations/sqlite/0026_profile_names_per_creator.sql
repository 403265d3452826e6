-- A person tells the profiles they made apart by name: no one makes two profiles with the
-- same name, capitals aside (name_key, folded by the app). The unique index is the rule.
-- Profiles from before whose names clash this way keep the oldest's name, and the others
-- get their id added ("Platform (7)"), so none is lost. A profile whose maker's account is
-- gone (created_by NULL) is bound by nothing.
UPDATE profiles
   SET name = substr(name, 1, 80) || ' (' || id || ')',
       name_key = substr(name_key, 1, 80) || ' (' || id || ')'
 WHERE created_by IS NOT NULL
   AND id NOT IN (SELECT MIN(id) FROM profiles WHERE created_by IS NOT NULL GROUP BY created_by, name_key);
CREATE UNIQUE INDEX profiles_creator_name_idx ON profiles (created_by, name_key);
