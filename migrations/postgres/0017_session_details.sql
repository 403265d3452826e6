-- What a person sees of each of their sessions on /account, to tell them apart and end the
-- ones they don't recognise: the browser (its User-Agent, cut to 300 characters) and the
-- address it signed in from. Sessions from before have neither.
ALTER TABLE sessions ADD COLUMN user_agent TEXT CHECK (char_length(user_agent) <= 300);
ALTER TABLE sessions ADD COLUMN address TEXT CHECK (char_length(address) <= 64);
