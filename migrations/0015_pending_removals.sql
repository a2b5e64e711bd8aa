-- Deleting an account "with its posts" must not tie the member's names together by time: posts
-- under the pseudonym go at once (they were signed with it anyway), each other identity's posts
-- (one topic's "Anonymous N", one group's name) at its own random moment within the next two
-- hours, like any other member deleting a post. Rows wait here until then; the text is blanked
-- by the background job that applies them.
CREATE TABLE pending_removals (
    post_id  bigint      PRIMARY KEY REFERENCES posts ON DELETE CASCADE,
    due_at   timestamptz NOT NULL
);
CREATE INDEX pending_removals_due_idx ON pending_removals (due_at);
