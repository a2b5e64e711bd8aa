-- Recovery without e-mail (issue 19): ten one-time codes per member, shown once, stored as
-- argon2 hashes like passwords. A new set replaces the old one; a used code is marked, not kept
-- usable. Deleting the account deletes them (own_data.delete_account).
CREATE TABLE recovery_codes (
    id          bigserial   PRIMARY KEY,
    member_id   bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    code_hash   text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz
);
CREATE INDEX recovery_codes_member_idx ON recovery_codes (member_id) WHERE used_at IS NULL;
