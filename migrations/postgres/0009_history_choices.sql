-- Rows of a history import (/import, `marquee import letterboxd|imdb|trakt`, the console's
-- `import`) that fit several films, kept until the person says which film they meant (a menu
-- in Discord, a numbered prompt in the console), then with the film they chose, so importing
-- the export again does not ask again. Rows never chosen for are kept as long as lists are
-- (retention). `row_key` names a row by what it says (site, kind, title, year, value, date), so
-- importing the same export again keeps one copy; `details` is the row and its candidates
-- (JSON); `chosen` is NULL until the person chooses, then the film, or 0 for none of them.
CREATE TABLE history_choices (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    row_key     TEXT    NOT NULL,
    details     TEXT    NOT NULL, -- JSON
    chosen      BIGINT,
    created_at  BIGINT  NOT NULL,
    UNIQUE (user_id, row_key)
);
CREATE INDEX history_choices_created ON history_choices (created_at);

-- History imports of the last release keyed their events by site, kind, film and date alone,
-- so two people importing the same rating of the same film on the same day collided: the keys
-- now name the person too (`history:<user>:<site>:…`), and the stored ones are renamed so that
-- importing the same export again still finds them.
UPDATE feedback_events
   SET idempotency_key = 'history:' || user_id || ':' || substr(idempotency_key, 9)
 WHERE idempotency_key LIKE 'history:letterboxd:%' OR idempotency_key LIKE 'history:imdb:%'
    OR idempotency_key LIKE 'history:trakt:%' OR idempotency_key LIKE 'history:history:%';
UPDATE reviews
   SET idempotency_key = 'history:' || user_id || ':' || substr(idempotency_key, 9)
 WHERE idempotency_key LIKE 'history:letterboxd:%' OR idempotency_key LIKE 'history:imdb:%'
    OR idempotency_key LIKE 'history:trakt:%' OR idempotency_key LIKE 'history:history:%';
