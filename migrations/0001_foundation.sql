-- The foundation: members and their sessions, rate-limit counters, groups and membership,
-- drafts, topics and posts. Designed with the later work in view: posts keep their author even
-- when shown anonymously (moderation acts on the author without showing them), posts carry a
-- state for pre-moderation and removal, and topic pages page by post number, not OFFSET.

CREATE TABLE members (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pseudonym      text        NOT NULL CHECK (pseudonym ~ '^[A-Za-z0-9_-]{3,32}$'),
    password_hash  text        NOT NULL,
    is_admin       boolean     NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz
);
-- "Alice" and "alice" are the same pseudonym.
CREATE UNIQUE INDEX members_pseudonym_key ON members (lower(pseudonym));

-- Server-side sessions: the cookie holds a random token, the table only its SHA-256, so a copy of
-- the database cannot be replayed as cookies. Deleting a row signs that device out.
CREATE TABLE sessions (
    token_hash    bytea       PRIMARY KEY,
    member_id     bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_member_idx ON sessions (member_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Fixed-window counters shared by every process. `key` is an HMAC of what is limited (a
-- pseudonym, a client address), so the table holds no addresses in the clear.
CREATE TABLE rate_limits (
    bucket        text        NOT NULL,
    key           bytea       NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer     NOT NULL,
    PRIMARY KEY (bucket, key)
);

CREATE TABLE groups (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug               text        NOT NULL UNIQUE
                                   CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 64),
    name               text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description        text        NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    visibility         text        NOT NULL DEFAULT 'public'
                                   CHECK (visibility IN ('public', 'members')),
    membership         text        NOT NULL DEFAULT 'open' CHECK (membership IN ('open', 'approval')),
    anonymous          text        NOT NULL DEFAULT 'off' CHECK (anonymous IN ('off', 'optional')),
    moderation         text        NOT NULL DEFAULT 'open'
                                   CHECK (moderation IN ('open', 'new-members', 'all')),
    moderation_first_posts integer NOT NULL DEFAULT 3 CHECK (moderation_first_posts BETWEEN 1 AND 100),
    created_at         timestamptz NOT NULL DEFAULT now(),
    archived_at        timestamptz,
    search             tsvector    GENERATED ALWAYS AS (
                           to_tsvector('english', name || ' ' || description)) STORED
);
CREATE INDEX groups_search_idx ON groups USING gin (search);

CREATE TABLE group_members (
    group_id   bigint      NOT NULL REFERENCES groups ON DELETE CASCADE,
    member_id  bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    state      text        NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'pending')),
    joined_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_members_member_idx ON group_members (member_id);

CREATE TABLE topics (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id          bigint      NOT NULL REFERENCES groups,
    author_id         bigint      NOT NULL REFERENCES members,
    anonymous         boolean     NOT NULL DEFAULT false,
    title             text        NOT NULL CHECK (length(title) BETWEEN 3 AND 150),
    state             text        NOT NULL DEFAULT 'published'
                                  CHECK (state IN ('published', 'held', 'rejected', 'removed')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_posted_at    timestamptz NOT NULL DEFAULT now(),
    -- Post numbers are handed out from here when a post becomes visible; the topic page shows
    -- numbers ((page-1)*size, page*size], so paging never counts or skips rows.
    last_post_number  integer     NOT NULL DEFAULT 0,
    reply_count       integer     NOT NULL DEFAULT 0
);
-- The group page: most recent activity first, keyset-paged on (last_posted_at, id).
CREATE INDEX topics_group_activity_idx ON topics (group_id, last_posted_at DESC, id DESC)
    WHERE state = 'published';
CREATE INDEX topics_author_idx ON topics (author_id);

CREATE TABLE posts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic_id         bigint      NOT NULL REFERENCES topics,
    -- Kept even for anonymous posts: moderators act on the author without being shown who it is.
    author_id        bigint      NOT NULL REFERENCES members,
    anonymous        boolean     NOT NULL DEFAULT false,
    number           integer,    -- NULL until visible (a held post has no place in the thread yet)
    body_source      text        NOT NULL CHECK (length(body_source) BETWEEN 1 AND 20000),
    -- Rendered and sanitised once, when published: reading never renders Markdown.
    body_html        text        NOT NULL,
    content_warning  text        NOT NULL DEFAULT '' CHECK (length(content_warning) <= 100),
    state            text        NOT NULL DEFAULT 'published'
                                 CHECK (state IN ('published', 'held', 'rejected', 'removed', 'deleted')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    edited_at        timestamptz,
    UNIQUE (topic_id, number)
);
CREATE INDEX posts_author_idx ON posts (author_id, id DESC);

-- Every topic and reply starts here, private to its author until published. `version` is bumped
-- on each save so a save from a stale tab is detected instead of silently overwriting.
CREATE TABLE drafts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id        bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    group_id         bigint      NOT NULL REFERENCES groups ON DELETE CASCADE,
    topic_id         bigint      REFERENCES topics ON DELETE CASCADE,  -- NULL: a new topic
    title            text        NOT NULL DEFAULT '' CHECK (length(title) <= 150),
    body             text        NOT NULL DEFAULT '' CHECK (length(body) <= 20000),
    anonymous        boolean     NOT NULL DEFAULT false,
    content_warning  text        NOT NULL DEFAULT '' CHECK (length(content_warning) <= 100),
    version          integer     NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX drafts_author_idx ON drafts (author_id, updated_at DESC);
