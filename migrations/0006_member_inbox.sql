-- Issue 9, the member's side: replies that reach you (followed topics, muted members, an inbox),
-- "this helped me" / "me too" responses seen by the author alone, and editing or deleting one's
-- own posts (an edit goes through a draft; the replaced text is kept for moderators).

-- Following is Discourse's "tracking": set when a member starts or replies to a topic (never
-- over an explicit choice), or by the Follow button. 'muted' is an explicit "stop telling me".
CREATE TABLE topic_follows (
    topic_id    bigint      NOT NULL REFERENCES topics ON DELETE CASCADE,
    member_id   bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    state       text        NOT NULL CHECK (state IN ('following', 'muted')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic_id, member_id)
);
CREATE INDEX topic_follows_member_idx ON topic_follows (member_id);

-- A member muted by another: their replies under their pseudonym stop reaching the muter's inbox
-- and are collapsed for them. Anonymous and per-group-name posts are never matched to a mute, or
-- the mute would tell the muter which anonymous posts share an author.
CREATE TABLE member_mutes (
    member_id   bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    muted_id    bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (member_id, muted_id),
    CHECK (member_id <> muted_id)
);

-- One row per reply that reached a member. Whether it may still be shown (post published, group
-- visible to them) is decided when the inbox is read, so removals and leaving a group need no
-- clean-up here. Separate from `notifications`, which are moderation messages with their text.
CREATE TABLE inbox_items (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id   bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    post_id     bigint      NOT NULL REFERENCES posts ON DELETE CASCADE,
    reason      text        NOT NULL CHECK (reason IN ('your-topic', 'following')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    read_at     timestamptz,
    UNIQUE (member_id, post_id)
);
CREATE INDEX inbox_items_member_idx ON inbox_items (member_id, id DESC);
CREATE INDEX inbox_items_unread_idx ON inbox_items (member_id) WHERE read_at IS NULL;

-- "This helped me" and "me too": one of each kind per member per post. Only counts are ever
-- read back, and only by the post's author.
CREATE TABLE post_responses (
    post_id     bigint      NOT NULL REFERENCES posts ON DELETE CASCADE,
    member_id   bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    kind        text        NOT NULL CHECK (kind IN ('helped', 'me-too')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, member_id, kind)
);
CREATE INDEX post_responses_member_idx ON post_responses (member_id);

-- The text a post had before each edit, newest last; moderators read it, nobody else.
CREATE TABLE post_versions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id          bigint      NOT NULL REFERENCES posts ON DELETE CASCADE,
    body_source      text        NOT NULL,
    body_html        text        NOT NULL,
    content_warning  text        NOT NULL,
    written_at       timestamptz NOT NULL,  -- when this text was published
    replaced_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX post_versions_post_idx ON post_versions (post_id, id);

-- An edit is a draft that names the post it will replace; one open edit per post.
ALTER TABLE drafts ADD COLUMN edits_post_id bigint REFERENCES posts ON DELETE CASCADE;
CREATE UNIQUE INDEX drafts_edits_post_key ON drafts (edits_post_id) WHERE edits_post_id IS NOT NULL;
