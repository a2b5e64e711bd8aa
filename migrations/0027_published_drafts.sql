-- Which post each draft became (issue 20): publishing again (a double click, a retry over a
-- flaky network, a second tab) finds the post instead of a missing draft, and a save from a tab
-- that did not know keeps its text as a fresh draft. Kept a week (housekeeping), and removed
-- with the account.
CREATE TABLE published_drafts (
    draft_id     bigint      PRIMARY KEY,
    author_id    bigint      NOT NULL REFERENCES members ON DELETE CASCADE,
    post_id      bigint      NOT NULL REFERENCES posts ON DELETE CASCADE,
    published_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX published_drafts_at_idx ON published_drafts (published_at);
CREATE INDEX published_drafts_post_idx ON published_drafts (post_id);
