-- A moderator's sanction on the author of an anonymous post is accepted whoever the author is,
-- so that refusing it cannot tell the moderator "this is one of the staff". When the author is
-- an admin or a moderator of the group, it waits here for an admin's decision instead of taking
-- effect: not in force, the author not told, until an admin confirms it.
ALTER TABLE sanctions ADD COLUMN awaiting_admin boolean NOT NULL DEFAULT false;
CREATE INDEX sanctions_awaiting_admin_idx ON sanctions (created_at) WHERE awaiting_admin;
