-- Two-factor sign-in (issue 19): a TOTP key per member who turns it on (required for admins and
-- for moderators of groups with anonymous posting, each an admin setting), its own recovery
-- codes, the half-way state of a sign-in that still needs its code, and the second admin's
-- confirmation of a reveal.
CREATE TABLE two_factor (
    member_id     bigint      PRIMARY KEY REFERENCES members ON DELETE CASCADE,
    secret        text        NOT NULL,              -- base32, RFC 6238
    confirmed_at  timestamptz,                       -- NULL while being set up
    last_step     bigint      NOT NULL DEFAULT 0,    -- the newest time step accepted: no code works twice
    created_at    timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE recovery_codes
    ADD COLUMN purpose text NOT NULL DEFAULT 'password' CHECK (purpose IN ('password', 'two_factor'));
DROP INDEX recovery_codes_member_idx;
CREATE INDEX recovery_codes_member_idx ON recovery_codes (member_id, purpose) WHERE used_at IS NULL;

-- A password accepted for an account with two-factor on: the browser holds a random token (we
-- keep its SHA-256) for a few minutes and a few tries at the code.
CREATE TABLE sign_in_challenges (
    token_hash   bytea       PRIMARY KEY,
    member_id    bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    expires_at   timestamptz NOT NULL,
    attempts     integer     NOT NULL DEFAULT 0
);
CREATE INDEX sign_in_challenges_expiry_idx ON sign_in_challenges (expires_at);

ALTER TABLE site_policy
    ADD COLUMN two_factor_admins     boolean NOT NULL DEFAULT true,
    ADD COLUMN two_factor_moderators boolean NOT NULL DEFAULT true;

-- Where a forum has two or more admins, one asks to reveal an anonymous author and another
-- confirms (or declines) within a set time. The author is not named here: the post is.
CREATE TABLE reveal_requests (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id       bigint      NOT NULL REFERENCES posts ON DELETE CASCADE,
    requested_by  bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    reason        text        NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    decided_by    bigint      REFERENCES members ON DELETE SET NULL,
    decided_at    timestamptz,
    outcome       text        CHECK (outcome IN ('confirmed', 'declined')),
    reveal_id     bigint      REFERENCES audit_log
);
CREATE INDEX reveal_requests_open_idx ON reveal_requests (expires_at) WHERE outcome IS NULL;
