-- How a member likes to read: text size, which content warnings stay closed, and words that hide
-- posts for them alone. Only signed-in members have preferences, so pages for visitors are the
-- same for every visitor (and can be cached). The words are private: they can say a great deal
-- about the member, so they are deleted with the account and never shown to anyone else.

CREATE TABLE reader_preferences (
    member_id        bigint      PRIMARY KEY REFERENCES members ON DELETE CASCADE,
    text_size        text        NOT NULL DEFAULT 'standard'
                                 CHECK (text_size IN ('standard', 'large', 'larger')),
    -- false (the default): every post with a content warning opens only when asked.
    -- true: warned posts open by themselves, except those whose warning has a word below.
    open_warnings    boolean     NOT NULL DEFAULT false,
    collapse_words   text[]      NOT NULL DEFAULT '{}' CHECK (cardinality(collapse_words) <= 50),
    hide_words       text[]      NOT NULL DEFAULT '{}' CHECK (cardinality(hide_words) <= 50),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
