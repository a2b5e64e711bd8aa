-- A draft's preview is rendered once per saved version and kept, as a published post's HTML is:
-- viewing a draft again never renders Markdown again. `preview_version` says which version the
-- HTML is of; a save (version + 1) makes it stale until the next view renders and stores it.
ALTER TABLE drafts ADD COLUMN preview_html text;
ALTER TABLE drafts ADD COLUMN preview_version integer;
