-- Private check-ins (issue 18): a moderator writes to the author of a queue item's post without
-- ever learning who they are; the author may answer, and say they are safe now. Moderators read
-- the thread on the item as "the author"; `member_id` is read only to deliver to the author.
CREATE TABLE check_in_messages (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id       bigint      NOT NULL REFERENCES queue_items ON DELETE CASCADE,
    member_id     bigint      NOT NULL REFERENCES members ON DELETE CASCADE,  -- the author
    from_author   boolean     NOT NULL,
    moderator_id  bigint      REFERENCES members ON DELETE SET NULL,          -- who wrote, if not the author
    body          text        NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 2000),
    safe          boolean     NOT NULL DEFAULT false,   -- the author said "I'm safe now"
    created_at    timestamptz NOT NULL DEFAULT now(),
    read_at       timestamptz,                          -- by the author, for moderators' messages
    CHECK (from_author = (moderator_id IS NULL) OR from_author)
);
CREATE INDEX check_in_messages_item_idx ON check_in_messages (item_id, id);
CREATE INDEX check_in_messages_member_idx ON check_in_messages (member_id, id DESC);
CREATE INDEX check_in_messages_unread_idx ON check_in_messages (member_id)
    WHERE read_at IS NULL AND NOT from_author;

-- true (the default): moderators may check in privately after a post that worried them.
ALTER TABLE reader_preferences ADD COLUMN check_ins boolean NOT NULL DEFAULT true;
