-- Retention (issue 19): how long what the forum keeps is kept, an admin setting each with a safe
-- default, enforced in batches by the housekeeping job (forum/members/retention.py).
ALTER TABLE site_policy
    ADD COLUMN keep_drafts_days        integer NOT NULL DEFAULT 180 CHECK (keep_drafts_days BETWEEN 30 AND 3650),
    ADD COLUMN keep_sessions_days      integer NOT NULL DEFAULT 30  CHECK (keep_sessions_days BETWEEN 1 AND 90),
    ADD COLUMN keep_rate_limits_hours  integer NOT NULL DEFAULT 24  CHECK (keep_rate_limits_hours BETWEEN 1 AND 720),
    ADD COLUMN keep_tombstones_days    integer NOT NULL DEFAULT 30  CHECK (keep_tombstones_days BETWEEN 0 AND 3650),
    ADD COLUMN keep_audit_details_days integer NOT NULL DEFAULT 730 CHECK (keep_audit_details_days BETWEEN 90 AND 3650);

-- An untouched draft's author is told a week before it goes; saving it again clears the notice.
ALTER TABLE drafts ADD COLUMN retention_notice_at timestamptz;
CREATE INDEX drafts_untouched_idx ON drafts (updated_at);

-- When a member deleted their own post: its text goes after keep_tombstones_days, its place in
-- the thread stays. Posts deleted before this migration start their time now.
ALTER TABLE posts ADD COLUMN deleted_at timestamptz;
UPDATE posts SET deleted_at = now() WHERE state = 'deleted';
CREATE INDEX posts_tombstone_idx ON posts (deleted_at) WHERE state = 'deleted' AND body_source <> '-';

CREATE INDEX audit_log_at_idx ON audit_log (at) WHERE reason <> '' OR subject_id IS NOT NULL;
CREATE INDEX rate_limits_window_idx ON rate_limits (window_start);
CREATE INDEX sessions_last_seen_idx ON sessions (last_seen_at);

-- The audit log stays append-only, but for one change: retention blanking an old entry's
-- details (its reason and the member it was about), only inside a transaction that says so.
CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('forum.retention', true) = 'on'
       AND NEW.reason = '' AND NEW.subject_id IS NULL
       AND (NEW.id, NEW.at, NEW.actor_id, NEW.action, NEW.group_id, NEW.item_id, NEW.post_id)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.actor_id, OLD.action, OLD.group_id, OLD.item_id, OLD.post_id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
