-- Performance: the visitor page cache is invalidated by the database itself.
--
-- Every process keeps a small cache of the public pages visitors see (forum/page_cache.py) and
-- LISTENs on 'page_cache'. These triggers send the id of every group whose visitor pages a write
-- may have changed, whatever code path wrote (publishing, editing, moderation, settings, scripts,
-- psql), so no handler has to remember to invalidate. '*' means "anything may have changed"
-- (a member renamed or deleted, a TRUNCATE). NOTIFY is transactional: it is sent on commit, only
-- if the write committed, and identical payloads in one transaction are sent once.
--
-- Statement-level triggers with transition tables: a bulk write (COPY of a million posts, a
-- moderator closing 50 items) notifies once per distinct group, not once per row.

CREATE FUNCTION page_cache_notify_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- TG_ARGV[0] names the column holding the group id: 'id' (groups) or 'group_id' (topics).
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF TG_ARGV[0] = 'id' THEN
            PERFORM pg_notify('page_cache', g::text) FROM (SELECT DISTINCT id AS g FROM new_rows) s;
        ELSE
            PERFORM pg_notify('page_cache', g::text) FROM (SELECT DISTINCT group_id AS g FROM new_rows) s;
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF TG_ARGV[0] = 'id' THEN
            PERFORM pg_notify('page_cache', g::text) FROM (SELECT DISTINCT id AS g FROM old_rows) s;
        ELSE
            PERFORM pg_notify('page_cache', g::text) FROM (SELECT DISTINCT group_id AS g FROM old_rows) s;
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- Posts know their topic, not their group: one join per statement, over the distinct topics.
CREATE FUNCTION page_cache_notify_posts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('page_cache', t.group_id::text)
        FROM (SELECT DISTINCT topic_id FROM new_rows) r JOIN topics t ON t.id = r.topic_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('page_cache', t.group_id::text)
        FROM (SELECT DISTINCT topic_id FROM old_rows) r JOIN topics t ON t.id = r.topic_id;
    END IF;
    RETURN NULL;
END $$;

-- For any table whose rows hang off a post and show on public pages (reactions, edits history,
-- attachments...): attach it with
--   CREATE TRIGGER <t>_page_cache_insert AFTER INSERT ON <t> REFERENCING NEW TABLE AS new_rows
--       FOR EACH STATEMENT EXECUTE FUNCTION page_cache_notify_post_rows();
-- (and the same for UPDATE with OLD and NEW TABLE, and DELETE with OLD TABLE).
CREATE FUNCTION page_cache_notify_post_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('page_cache', t.group_id::text)
        FROM (SELECT DISTINCT post_id FROM new_rows) r
        JOIN posts p ON p.id = r.post_id JOIN topics t ON t.id = p.topic_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('page_cache', t.group_id::text)
        FROM (SELECT DISTINCT post_id FROM old_rows) r
        JOIN posts p ON p.id = r.post_id JOIN topics t ON t.id = p.topic_id;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION page_cache_notify_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('page_cache', '*');
    RETURN NULL;
END $$;

CREATE TRIGGER page_cache_groups_insert AFTER INSERT ON groups
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION page_cache_notify_groups('id');
CREATE TRIGGER page_cache_groups_update AFTER UPDATE ON groups
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION page_cache_notify_groups('id');
CREATE TRIGGER page_cache_groups_delete AFTER DELETE ON groups
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION page_cache_notify_groups('id');

CREATE TRIGGER page_cache_topics_insert AFTER INSERT ON topics
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION page_cache_notify_groups('group_id');
CREATE TRIGGER page_cache_topics_update AFTER UPDATE ON topics
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION page_cache_notify_groups('group_id');
CREATE TRIGGER page_cache_topics_delete AFTER DELETE ON topics
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION page_cache_notify_groups('group_id');

CREATE TRIGGER page_cache_posts_insert AFTER INSERT ON posts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION page_cache_notify_posts();
CREATE TRIGGER page_cache_posts_update AFTER UPDATE ON posts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION page_cache_notify_posts();
CREATE TRIGGER page_cache_posts_delete AFTER DELETE ON posts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION page_cache_notify_posts();

-- Author names on every page come from members: a rename or a deleted account changes pages in
-- any group. Row-level with WHEN, so a password change or a session refresh notifies nothing.
CREATE TRIGGER page_cache_members_update AFTER UPDATE ON members FOR EACH ROW
    WHEN (OLD.pseudonym IS DISTINCT FROM NEW.pseudonym
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION page_cache_notify_all();
CREATE TRIGGER page_cache_members_delete AFTER DELETE ON members FOR EACH STATEMENT
    EXECUTE FUNCTION page_cache_notify_all();

CREATE TRIGGER page_cache_groups_truncate AFTER TRUNCATE ON groups
    FOR EACH STATEMENT EXECUTE FUNCTION page_cache_notify_all();
CREATE TRIGGER page_cache_topics_truncate AFTER TRUNCATE ON topics
    FOR EACH STATEMENT EXECUTE FUNCTION page_cache_notify_all();
CREATE TRIGGER page_cache_posts_truncate AFTER TRUNCATE ON posts
    FOR EACH STATEMENT EXECUTE FUNCTION page_cache_notify_all();
CREATE TRIGGER page_cache_members_truncate AFTER TRUNCATE ON members
    FOR EACH STATEMENT EXECUTE FUNCTION page_cache_notify_all();
