-- Anonymity: per-topic anonymous labels ("Anonymous 2"), per-group display names, and the name
-- a post was published under. The link between an anonymous post and its author stays where it
-- was (posts.author_id) and is never selected for display.

-- One label per (topic, member): stable within a topic, unrelated across topics.
CREATE TABLE topic_anon_labels (
    topic_id   bigint  NOT NULL REFERENCES topics ON DELETE CASCADE,
    member_id  bigint  NOT NULL REFERENCES members ON DELETE CASCADE,
    label      integer NOT NULL CHECK (label >= 1),
    PRIMARY KEY (topic_id, member_id),
    UNIQUE (topic_id, label)
);

ALTER TABLE posts ADD COLUMN anon_label integer;
-- The per-group name the post was published under (NULL: the member's pseudonym). Kept on the
-- post so that leaving the group or changing the name later never re-attributes old posts.
ALTER TABLE posts ADD COLUMN persona text;
ALTER TABLE topics ADD COLUMN persona text;

ALTER TABLE group_members ADD COLUMN display_name text
    CHECK (display_name ~ '^[A-Za-z0-9_-]{3,32}$');
CREATE UNIQUE INDEX group_members_display_name_key
    ON group_members (group_id, lower(display_name)) WHERE display_name IS NOT NULL;
CREATE INDEX group_members_display_name_idx
    ON group_members (lower(display_name)) WHERE display_name IS NOT NULL;

-- Labels for anonymous posts written before this migration, in order of first appearance.
INSERT INTO topic_anon_labels (topic_id, member_id, label)
SELECT topic_id, author_id, row_number() OVER (PARTITION BY topic_id ORDER BY min(id))
FROM posts WHERE anonymous GROUP BY topic_id, author_id;
UPDATE posts p SET anon_label = l.label
FROM topic_anon_labels l
WHERE p.anonymous AND l.topic_id = p.topic_id AND l.member_id = p.author_id;

-- A member's public post list: their named posts, newest first.
CREATE INDEX posts_public_author_idx ON posts (author_id, id DESC)
    WHERE NOT anonymous AND persona IS NULL AND state = 'published';
