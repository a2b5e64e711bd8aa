-- Live events that never silently drop (issue 20): every event a page is told of live (a change
-- in a moderation queue, a reply in a member's inbox) is a row written by the transaction that
-- made the change; NOTIFY only announces that there is something to read. A process that was
-- not listening (its LISTEN connection was down, it was restarting) reads what it missed from
-- here, and a browser that reconnects resumes from its cursor (`forum.live.events`).
--
-- `xid` is the writing transaction's id. Rows are read in (xid, id) order up to the oldest
-- transaction still in progress (pg_snapshot_xmin): a transaction that took an earlier id may
-- commit after one that took a later id, and reading by id alone would skip it for good.
CREATE TABLE live_events (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid     xid8        NOT NULL DEFAULT pg_current_xact_id(),
    at      timestamptz NOT NULL DEFAULT now(),
    feed    text        NOT NULL CHECK (feed IN ('mod', 'inbox')),
    -- Who may see it: the group's id for the moderation feed, the member's id for the inbox.
    key     bigint      NOT NULL,
    -- Ids and the kind of change only, never text: it is what the stream sends.
    payload jsonb       NOT NULL
);
CREATE INDEX live_events_xid_idx ON live_events (xid, id);
CREATE INDEX live_events_key_idx ON live_events (feed, key, xid);
CREATE INDEX live_events_at_idx ON live_events (at);

CREATE FUNCTION announce_live_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('live_events', '');  -- one per transaction: NOTIFY folds repeats
    RETURN NULL;
END
$$;
CREATE TRIGGER live_events_announced AFTER INSERT ON live_events
    FOR EACH STATEMENT EXECUTE FUNCTION announce_live_events();
