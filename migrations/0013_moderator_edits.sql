-- "Edit and approve" keeps what the author wrote: a moderator's edit snapshots the text it
-- replaces into post_versions, like an author's own edit, marked with the moderator's reason.
-- The author can read it (and withdraw the post) as well as moderators.
ALTER TABLE post_versions ADD COLUMN moderator_reason text
    CHECK (length(moderator_reason) BETWEEN 1 AND 1000);
