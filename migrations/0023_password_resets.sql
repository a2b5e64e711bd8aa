-- A member with no recovery codes left gets back in through an admin (issue 19): after confirming
-- who they are (docs/admin-guide.md), the admin issues a one-time link, valid for a day. The
-- link's token is random; only its SHA-256 is kept.
CREATE TABLE password_resets (
    token_hash  bytea       PRIMARY KEY,
    member_id   bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    issued_by   bigint      REFERENCES members ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX password_resets_member_idx ON password_resets (member_id);
CREATE INDEX password_resets_expiry_idx ON password_resets (expires_at);
