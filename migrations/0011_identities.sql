-- Moderation without linkage: what a moderator sees about an author is scoped to the identity the
-- post was published under, never to the member behind it. An identity is the member's pseudonym
-- ('member', public across groups anyway), a per-group name ('persona:<group>:<name>'), or, for
-- an anonymous post, its topic's label ('anon:<topic>', the "Anonymous 2" of that topic). A
-- sanction records the identity of the post it was given for: it is enforced on the member
-- (posting under another name does not dodge it) but listed only beside that identity's posts.
CREATE FUNCTION post_identity(anonymous boolean, topic_id bigint, persona text, group_id bigint)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN anonymous THEN 'anon:' || topic_id
        WHEN persona IS NOT NULL THEN 'persona:' || group_id || ':' || lower(persona)
        ELSE 'member'
    END
$$;

ALTER TABLE sanctions ADD COLUMN post_id bigint REFERENCES posts ON DELETE SET NULL;
ALTER TABLE sanctions ADD COLUMN identity text;

-- Sanctions given before this migration: the audit entry written in the same transaction (same
-- now(), same actor, subject and action) names the post. One that cannot be matched gets an
-- identity no post has, so it is still enforced but shown beside none.
UPDATE sanctions s SET post_id = a.post_id
FROM audit_log a
WHERE a.action = s.kind AND a.subject_id = s.member_id AND a.actor_id = s.created_by
  AND a.at = s.created_at AND a.post_id IS NOT NULL;
UPDATE sanctions s SET identity = post_identity(p.anonymous, p.topic_id, p.persona, t.group_id)
FROM posts p JOIN topics t ON t.id = p.topic_id
WHERE p.id = s.post_id;
UPDATE sanctions SET identity = 'unknown' WHERE identity IS NULL;
-- A row written without one (by hand, say) is likewise shown beside no post.
ALTER TABLE sanctions ALTER COLUMN identity SET DEFAULT 'unknown';
ALTER TABLE sanctions ALTER COLUMN identity SET NOT NULL;
