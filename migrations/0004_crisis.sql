-- Crisis escalation: per-group policy and extra lexicon phrases, crisis resources (per group and
-- region, with forum-wide defaults), what the scanner found on queue items, re-escalation
-- marks, and a durable outbox for signed webhook calls.

ALTER TABLE groups
    ADD COLUMN crisis_policy text NOT NULL DEFAULT 'hold'
        CHECK (crisis_policy IN ('hold', 'publish')),
    ADD COLUMN crisis_reescalate_minutes integer NOT NULL DEFAULT 10
        CHECK (crisis_reescalate_minutes BETWEEN 1 AND 1440),
    ADD COLUMN webhook_url text CHECK (webhook_url ~ '^https?://');

CREATE TABLE crisis_phrases (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id    bigint      NOT NULL REFERENCES groups ON DELETE CASCADE,
    phrase      text        NOT NULL CHECK (length(btrim(phrase)) BETWEEN 2 AND 200),
    level       text        NOT NULL CHECK (level IN ('concern', 'urgent')),
    created_by  bigint      REFERENCES members,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX crisis_phrases_group_phrase_key ON crisis_phrases (group_id, lower(phrase));

-- group_id NULL: the forum-wide list; region '' : for everyone, wherever they are.
CREATE TABLE crisis_resources (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id  bigint  REFERENCES groups ON DELETE CASCADE,
    region    text    NOT NULL DEFAULT '' CHECK (length(region) <= 60),
    name      text    NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 120),
    phone     text    NOT NULL DEFAULT '' CHECK (length(phone) <= 80),
    text_number text  NOT NULL DEFAULT '' CHECK (length(text_number) <= 40),
    url       text    NOT NULL DEFAULT '' CHECK (url = '' OR url ~ '^https?://'),
    hours     text    NOT NULL DEFAULT '' CHECK (length(hours) <= 60),
    position  integer NOT NULL DEFAULT 0
);
CREATE INDEX crisis_resources_group_idx ON crisis_resources (group_id, position);

INSERT INTO crisis_resources (group_id, region, name, phone, text_number, url, hours, position) VALUES
    (NULL, '', 'Emergency services: if you or someone else is in danger now', '112 (EU), 911 (US, Canada), 999 (UK), 000 (Australia)', '', '', '24/7', 0),
    (NULL, '', 'Find A Helpline: free, confidential crisis lines in your country', '', '', 'https://findahelpline.com', '', 1),
    (NULL, 'United States', '988 Suicide & Crisis Lifeline', '988', '988', 'https://988lifeline.org', '24/7', 10),
    (NULL, 'Canada', '9-8-8 Suicide Crisis Helpline', '988', '988', 'https://988.ca', '24/7', 11),
    (NULL, 'United Kingdom and Ireland', 'Samaritans', '116 123', '', 'https://www.samaritans.org', '24/7', 12),
    (NULL, 'United Kingdom', 'Shout', '', '85258', 'https://giveusashout.org', '24/7', 13),
    (NULL, 'Australia', 'Lifeline', '13 11 14', '', 'https://www.lifeline.org.au', '24/7', 14),
    (NULL, 'France', '3114, numéro national de prévention du suicide', '3114', '', 'https://3114.fr', '24/7', 15),
    (NULL, 'Deutschland', 'TelefonSeelsorge', '0800 111 0 111', '', 'https://www.telefonseelsorge.de', '24/7', 16),
    (NULL, 'España', 'Línea 024 de atención a la conducta suicida', '024', '', '', '24/7', 17);

ALTER TABLE queue_items
    ADD COLUMN crisis_level text CHECK (crisis_level IN ('concern', 'urgent')),
    -- The phrases that explain the match, as the scanner reported them (no other post text).
    ADD COLUMN crisis_matches jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN reescalated_at timestamptz,     -- every moderator of the group was alerted
    ADD COLUMN admins_alerted_at timestamptz;  -- then the admins
CREATE INDEX queue_items_unclaimed_crisis_idx ON queue_items (created_at)
    WHERE state = 'open' AND kind = 'crisis' AND first_claimed_at IS NULL;

-- Webhook calls go through this outbox: written in the post's transaction, delivered after
-- commit with retries and back-off, so a slow or broken receiver never blocks a post.
CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id         bigint      NOT NULL REFERENCES groups ON DELETE CASCADE,
    item_id          bigint      REFERENCES queue_items ON DELETE CASCADE,
    url              text        NOT NULL,
    payload          jsonb       NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    last_error       text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL;
