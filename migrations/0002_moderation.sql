-- Moderation: per-group moderators, one queue for held posts, reports and crisis matches,
-- member sanctions, an append-only audit log, and members' notifications.

ALTER TABLE groups
    ADD COLUMN report_hide_threshold integer NOT NULL DEFAULT 3
        CHECK (report_hide_threshold BETWEEN 1 AND 100);

-- 'hidden': reported by enough members to be taken down until a moderator has looked.
ALTER TABLE posts DROP CONSTRAINT posts_state_check;
ALTER TABLE posts ADD CONSTRAINT posts_state_check
    CHECK (state IN ('published', 'held', 'hidden', 'rejected', 'removed', 'deleted'));

-- Pre-moderation "first N posts of each member in this group" counts what was published.
CREATE INDEX posts_topic_author_idx ON posts (author_id, topic_id) WHERE state = 'published';

CREATE TABLE group_moderators (
    group_id      bigint      NOT NULL REFERENCES groups ON DELETE CASCADE,
    member_id     bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    appointed_by  bigint      REFERENCES members,
    appointed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_moderators_member_idx ON group_moderators (member_id);

-- One row per thing a moderator must look at. `priority`: lower is more urgent (crisis urgent 0,
-- crisis concern 10, held post 20, report 30); the queue is read oldest first within priority.
CREATE TABLE queue_items (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id       bigint      NOT NULL REFERENCES groups ON DELETE CASCADE,
    post_id        bigint      NOT NULL REFERENCES posts ON DELETE CASCADE,
    kind           text        NOT NULL CHECK (kind IN ('crisis', 'held', 'report')),
    priority       integer     NOT NULL,
    state          text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    claimed_by     bigint      REFERENCES members,
    claimed_until  timestamptz,
    first_claimed_at timestamptz,      -- time to claim = first_claimed_at - created_at
    escalated_at   timestamptz,        -- sent up to the admins
    created_at     timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz,        -- time to resolve = closed_at - created_at
    closed_by      bigint      REFERENCES members,
    outcome        text        CHECK (outcome IN ('approved', 'rejected', 'resolved')),
    CHECK ((state = 'open') = (closed_at IS NULL))
);
-- At most one open item of a kind per post: reports pile onto the open item, not new rows.
CREATE UNIQUE INDEX queue_items_open_post_kind_key ON queue_items (post_id, kind) WHERE state = 'open';
CREATE INDEX queue_items_open_idx ON queue_items (group_id, priority, created_at) WHERE state = 'open';

CREATE TABLE reports (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id      bigint      NOT NULL REFERENCES posts ON DELETE CASCADE,
    reporter_id  bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    reason       text        NOT NULL CHECK (reason IN (
                     'crisis', 'harassment', 'hate', 'spam', 'identifying', 'medical', 'other')),
    details      text        NOT NULL DEFAULT '' CHECK (length(details) <= 1000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (post_id, reporter_id)
);

-- Warnings, mutes (per group, until a time), removals from a group, site-wide suspensions.
CREATE TABLE sanctions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id   bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    group_id    bigint      REFERENCES groups ON DELETE CASCADE,   -- NULL: site-wide
    kind        text        NOT NULL CHECK (kind IN ('warn', 'mute', 'remove', 'suspend')),
    reason      text        NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
    ends_at     timestamptz,                                      -- NULL: until lifted
    created_by  bigint      NOT NULL REFERENCES members,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'suspend') = (group_id IS NULL))
);
CREATE INDEX sanctions_member_idx ON sanctions (member_id, group_id);

-- Every moderation decision, who/what/when/why. Append-only: the trigger below refuses UPDATE
-- and DELETE from anyone, so the record cannot be quietly rewritten by the application.
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint      REFERENCES members,
    action       text        NOT NULL,
    group_id     bigint      REFERENCES groups,
    item_id      bigint      REFERENCES queue_items,
    post_id      bigint      REFERENCES posts,
    subject_id   bigint      REFERENCES members,    -- the member acted upon, if any
    reason       text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_group_idx ON audit_log (group_id, id DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

CREATE TABLE notifications (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id   bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    kind        text        NOT NULL,
    post_id     bigint      REFERENCES posts ON DELETE CASCADE,
    message     text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz
);
CREATE INDEX notifications_member_idx ON notifications (member_id, id DESC);
