-- Full-text search over what readers can already read: topic titles and post bodies.
--
-- Stored generated columns, so a post edited later (or a topic renamed) is re-indexed by the
-- same UPDATE that changes its text; nothing in the application has to remember to do it.
-- Only the text is indexed, never who wrote it: an author's pseudonym or per-group name cannot
-- find their anonymous posts because no name is in any search vector.
--
-- The body indexed is `body_source`, the member's own words: Markdown punctuation is dropped by
-- the parser, and HTML tags typed into a post are parsed as tags, which the 'english'
-- configuration does not index.
--
-- Configuration 'english' (as for the group directory's search): stemming lets "grieving" find
-- "grieved" and "grieves", which is what most searches here need. Members also write in Spanish,
-- French and German; the English stemmer is applied alike to their text and to the query, so
-- their words still match as typed ("llorando" finds "llorando"). What other languages lose is
-- their own stemming and a few words that are English stop words ("no", "was"): a smaller loss
-- than giving up stemming for everyone with 'simple', or doubling the index to carry both.
--
-- The GIN indexes are partial: held, hidden, rejected, removed and deleted posts are not even in
-- them, and search queries repeat the same predicate.

ALTER TABLE posts ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('english', body_source)) STORED;
CREATE INDEX posts_search_idx ON posts USING gin (search) WHERE state = 'published';

ALTER TABLE topics ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('english', title)) STORED;
CREATE INDEX topics_search_idx ON topics USING gin (search) WHERE state = 'published';
