-- The privacy notice and the site rules (issue 19): written by an admin from a default text,
-- public at /privacy and /rules. A member accepts the rules, and confirms the minimum age, when
-- joining; the version they accepted is kept so a later change can ask them again.
CREATE TABLE site_pages (
    slug         text        PRIMARY KEY CHECK (slug IN ('privacy', 'rules')),
    body_source  text        NOT NULL,
    body_html    text        NOT NULL,
    version      integer     NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   bigint      REFERENCES members ON DELETE SET NULL
);
CREATE TABLE site_policy (
    only_row     boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    minimum_age  integer     NOT NULL DEFAULT 16 CHECK (minimum_age BETWEEN 13 AND 21)
);
INSERT INTO site_policy DEFAULT VALUES;
ALTER TABLE members ADD COLUMN rules_version integer;
ALTER TABLE members ADD COLUMN age_confirmed_at timestamptz;
