-- Issue 6, the admin console: settings admins tune as a group grows, old addresses that keep
-- working, join requests with an answer, guidelines a member accepts once, and a per-day post
-- counter so "how active is this group" is a read of at most seven rows.

ALTER TABLE groups
    -- From a fixed list in forum/group_settings.py (TAGS); the directory filters on them.
    ADD COLUMN condition_tags text[] NOT NULL DEFAULT '{}',
    -- Asked of people who apply to an approval group; moderators read the answer.
    ADD COLUMN join_question text NOT NULL DEFAULT '' CHECK (length(join_question) <= 500),
    -- Accepted once by each member before their first post in the group.
    ADD COLUMN guidelines text NOT NULL DEFAULT '' CHECK (length(guidelines) <= 5000);
CREATE INDEX groups_condition_tags_idx ON groups USING gin (condition_tags);

-- A slug may change until the group's first post; the old one keeps answering with a 301.
CREATE TABLE group_slug_redirects (
    old_slug    text        PRIMARY KEY,
    group_id    bigint      NOT NULL REFERENCES groups ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE group_members
    ADD COLUMN join_answer text NOT NULL DEFAULT '' CHECK (length(join_answer) <= 1000),
    ADD COLUMN guidelines_accepted_at timestamptz;
CREATE INDEX group_members_pending_idx ON group_members (group_id, joined_at)
    WHERE state = 'pending';

-- "Has this group had a post?" (slug lock) and the health page's recent-topic reads.
CREATE INDEX topics_group_created_idx ON topics (group_id, created_at);

CREATE TABLE group_daily_posts (
    group_id  bigint  NOT NULL REFERENCES groups ON DELETE CASCADE,
    day       date    NOT NULL,
    posts     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, day)
);

-- Statement-level triggers with transition tables: one upsert per statement, so a bulk COPY
-- of posts costs one aggregated write, not one per row. A post counts on the day it becomes
-- visible (published at once, or approved out of the pre-moderation queue).
CREATE FUNCTION count_published_posts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO group_daily_posts AS d (group_id, day, posts)
        SELECT t.group_id, (now() AT TIME ZONE 'UTC')::date, count(*)
        FROM new_rows n JOIN topics t ON t.id = n.topic_id
        WHERE n.state = 'published'
        GROUP BY t.group_id
        ON CONFLICT (group_id, day) DO UPDATE SET posts = d.posts + EXCLUDED.posts;
    ELSE
        INSERT INTO group_daily_posts AS d (group_id, day, posts)
        SELECT t.group_id, (now() AT TIME ZONE 'UTC')::date, count(*)
        FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN topics t ON t.id = n.topic_id
        WHERE n.state = 'published' AND o.state = 'held'
        GROUP BY t.group_id
        ON CONFLICT (group_id, day) DO UPDATE SET posts = d.posts + EXCLUDED.posts;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER posts_count_inserted AFTER INSERT ON posts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_published_posts();
CREATE TRIGGER posts_count_approved AFTER UPDATE ON posts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_published_posts();

INSERT INTO group_daily_posts (group_id, day, posts)
SELECT t.group_id, (p.created_at AT TIME ZONE 'UTC')::date, count(*)
FROM posts p JOIN topics t ON t.id = p.topic_id
WHERE p.state = 'published'
GROUP BY 1, 2;

-- Moderator load: who first claimed each item, read back over the last 30 days.
CREATE INDEX audit_log_claims_idx ON audit_log (at, item_id) WHERE action = 'claim';
