-- Statements of reasons and appeals (issue 19). Every rejection, removal and sanction that
-- reaches a member is a `decisions` row: what was done, the rule it names (the text of the site
-- rule or group guideline as it read then), the facts in the decider's words, how it came to
-- the moderators' attention (the crisis scanner, members' reports, pre-moderation) and who took
-- it. `masked`: the post was anonymous or under a per-group name, so whoever decides an appeal
-- is never shown the member's pseudonym. A member appeals each decision once (UNIQUE), within
-- 30 days (forum/moderation/appeals.py), to someone who took no part in it.
CREATE TABLE decisions (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id     bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    group_id      bigint      REFERENCES groups ON DELETE CASCADE,     -- NULL: site-wide
    kind          text        NOT NULL CHECK (kind IN ('reject', 'remove-post', 'warn', 'mute', 'remove', 'suspend')),
    post_id       bigint      REFERENCES posts ON DELETE SET NULL,
    sanction_id   bigint      REFERENCES sanctions ON DELETE SET NULL,
    rule          text        NOT NULL CHECK (length(rule) BETWEEN 1 AND 600),
    facts         text        NOT NULL CHECK (length(btrim(facts)) BETWEEN 1 AND 1000),
    detected_by   text        NOT NULL CHECK (detected_by IN ('scanner', 'reports', 'crisis-report', 'pre-moderation', 'moderator')),
    masked        boolean     NOT NULL,
    decided_by    bigint      REFERENCES members ON DELETE SET NULL,
    confirmed_by  bigint      REFERENCES members ON DELETE SET NULL,  -- an admin who confirmed a moderator's sanction
    created_at    timestamptz NOT NULL DEFAULT now(),
    reversed_at   timestamptz
);
CREATE INDEX decisions_member_idx ON decisions (member_id, id DESC);

CREATE TABLE appeals (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    decision_id bigint      NOT NULL UNIQUE REFERENCES decisions ON DELETE CASCADE,
    text        text        NOT NULL CHECK (length(btrim(text)) BETWEEN 1 AND 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    state       text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'upheld', 'refused')),
    decided_by  bigint      REFERENCES members ON DELETE SET NULL,
    decided_at  timestamptz,
    outcome     text        CHECK (length(btrim(outcome)) BETWEEN 1 AND 1000),
    CHECK ((state = 'open') = (decided_at IS NULL))
);
CREATE INDEX appeals_open_idx ON appeals (created_at) WHERE state = 'open';

-- A notification may carry its statement of reasons, so the member's list links to it.
ALTER TABLE notifications ADD COLUMN decision_id bigint REFERENCES decisions ON DELETE SET NULL;

-- Who decides appeals against this group's decisions: the admins, or its own moderators (never
-- the one who decided; a site-wide suspension is always the admins').
ALTER TABLE groups ADD COLUMN appeals text NOT NULL DEFAULT 'admins' CHECK (appeals IN ('admins', 'moderators'));

-- A sanction keeps the rule it names and how its post came to the moderators' attention, for
-- the statement sent when it takes effect (at once, or when an admin confirms one that waits).
ALTER TABLE sanctions
    ADD COLUMN rule        text NOT NULL DEFAULT '',
    ADD COLUMN detected_by text NOT NULL DEFAULT 'moderator';

CREATE INDEX notifications_decision_idx ON notifications (decision_id) WHERE decision_id IS NOT NULL;
