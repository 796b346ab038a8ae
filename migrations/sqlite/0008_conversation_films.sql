-- What /ask conversations teach about films: the films named in a conversation and the
-- suggestions accepted from it (👍, ❤️, "More like", a later rating of 4★ or more). No person
-- and no server is stored: it is about films, learned across servers. A conversation is an
-- id (unique like a list id) kept in the person's conversation state while it is open.
CREATE TABLE conversation_films (
    conversation  INTEGER NOT NULL,
    movie_id      INTEGER NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    accepted      INTEGER NOT NULL DEFAULT 0, -- 0 named in the wish, 1 a suggestion accepted
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (conversation, movie_id)
);

-- Which conversation each /ask list was shown in, so accepting a film of the list finds it.
-- Kept as long as the list's impressions (retention).
CREATE TABLE conversation_lists (
    message_id    INTEGER PRIMARY KEY,
    conversation  INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX conversation_lists_created ON conversation_lists (created_at);
