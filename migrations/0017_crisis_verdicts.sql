-- Moderators' verdicts on queue items (issue 18): was this person at risk? They teach the crisis
-- model on this forum only (`forum crisis-train --with-local-verdicts`) and give the admins the
-- scanner's record per group. The post text stays in posts; nothing here copies it.
ALTER TABLE queue_items
    ADD COLUMN verdict text CHECK (verdict IN ('urgent', 'concern', 'no')),
    ADD COLUMN verdict_by bigint REFERENCES members ON DELETE SET NULL,
    ADD COLUMN verdict_at timestamptz,
    -- The scanner had not flagged the post (it reached the queue through a report or a
    -- moderator) and the verdict says the author was at risk: a miss.
    ADD COLUMN verdict_missed boolean NOT NULL DEFAULT false,
    ADD CHECK ((verdict IS NULL) = (verdict_at IS NULL)),
    ADD CHECK (NOT verdict_missed OR verdict IN ('urgent', 'concern'));
CREATE INDEX queue_items_verdicts_idx ON queue_items (group_id, verdict_at) WHERE verdict IS NOT NULL;
