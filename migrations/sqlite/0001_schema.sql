-- Marquee schema, SQLite dialect. The PostgreSQL twin is migrations/postgres/0001_schema.sql:
-- same tables, columns and indexes. Times are milliseconds since the Unix epoch (BIGINT);
-- lists (genres, keywords, people) are '|'-joined text; flags are 0/1 integers.

CREATE TABLE movies (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    title         TEXT    NOT NULL,
    norm_title    TEXT    NOT NULL,
    year          INTEGER,
    genres        TEXT    NOT NULL DEFAULT '',
    overview      TEXT    NOT NULL DEFAULT '',
    keywords      TEXT    NOT NULL DEFAULT '',
    directors     TEXT    NOT NULL DEFAULT '',
    cast_names    TEXT    NOT NULL DEFAULT '',
    countries     TEXT    NOT NULL DEFAULT '',
    runtime_min   INTEGER,
    movielens_id  INTEGER UNIQUE,
    tmdb_id       INTEGER UNIQUE,
    imdb_id       TEXT    UNIQUE,
    vote_count    INTEGER NOT NULL DEFAULT 0,
    vote_average  REAL,
    source        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX movies_norm_title_year ON movies (norm_title, year);

-- People Marquee knows. kind: 'discord' | 'console' | 'movielens' (historical raters stay apart).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL,
    external_id   TEXT    NOT NULL,
    display_name  TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    UNIQUE (kind, external_id)
);

CREATE TABLE guilds (
    id            INTEGER PRIMARY KEY,          -- the Discord snowflake
    name          TEXT    NOT NULL DEFAULT '',
    settings      TEXT    NOT NULL DEFAULT '{}', -- JSON
    joined_at     INTEGER NOT NULL
);

CREATE TABLE guild_members (
    guild_id      INTEGER NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_seen    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- The append-only feedback log. A removed reaction is a new 'reaction_removed' row.
CREATE TABLE feedback_events (
    -- No AUTOINCREMENT: the log is append-only, so max(id) + 1 never reuses an id, and bulk
    -- imports skip the sqlite_sequence bookkeeping on every row.
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id        INTEGER NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    value           REAL,
    weight          REAL    NOT NULL DEFAULT 1,
    raw             TEXT,
    source          TEXT    NOT NULL,
    guild_id        INTEGER,
    message_id      INTEGER,
    created_at      INTEGER NOT NULL,
    idempotency_key TEXT,
    -- Set on events that may exist once per user and film (imported ratings: the source's
    -- name); NULL on the rest, and NULLs never collide in a unique index.
    once_key        TEXT
);
-- Same key twice = same event (a Discord event delivered again after a resume).
-- Partial, so the millions of imported ratings (no key) cost this index nothing.
CREATE UNIQUE INDEX feedback_idempotency ON feedback_events (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- A user's events (the hot path), and at most one imported rating per user, film and source,
-- in one index: re-importing a file adds nothing.
CREATE UNIQUE INDEX feedback_user_movie ON feedback_events (user_id, movie_id, once_key);

CREATE TABLE reviews (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        INTEGER REFERENCES feedback_events (id) ON DELETE SET NULL,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id        INTEGER NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    body            TEXT    NOT NULL,
    neg             REAL    NOT NULL,
    neu             REAL    NOT NULL,
    pos             REAL    NOT NULL,
    compound        REAL    NOT NULL,
    rating          REAL,
    created_at      INTEGER NOT NULL,
    idempotency_key TEXT    UNIQUE
);
CREATE INDEX reviews_user_movie ON reviews (user_id, movie_id);

-- One row per film shown in a suggestion message; reactions on the message find their film here.
CREATE TABLE impressions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      INTEGER NOT NULL,
    channel_id      INTEGER,
    guild_id        INTEGER,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id        INTEGER NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    surface         TEXT    NOT NULL,           -- 'recommend' | 'similar' | 'ask' | 'watchparty'
    experiment_key  TEXT,
    variant         TEXT,
    created_at      INTEGER NOT NULL,
    UNIQUE (message_id, position)
);
CREATE INDEX impressions_user ON impressions (user_id, created_at);
CREATE INDEX impressions_experiment ON impressions (experiment_key, variant);

CREATE TABLE experiments (
    key             TEXT    PRIMARY KEY,
    layer           TEXT    NOT NULL DEFAULT 'default',
    unit            TEXT    NOT NULL DEFAULT 'user', -- 'user' | 'guild'
    status          TEXT    NOT NULL,                -- 'draft' | 'running' | 'stopped'
    definition      TEXT    NOT NULL,                -- JSON: variants, weights, configs
    version         INTEGER NOT NULL DEFAULT 1,
    started_at      INTEGER,
    stopped_at      INTEGER
);

CREATE TABLE experiment_assignments (
    experiment_key  TEXT    NOT NULL REFERENCES experiments (key) ON DELETE CASCADE,
    unit_id         TEXT    NOT NULL,
    variant         TEXT    NOT NULL,
    assigned_at     INTEGER NOT NULL,
    PRIMARY KEY (experiment_key, unit_id)
);

CREATE TABLE watch_parties (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id            INTEGER NOT NULL,
    channel_id          INTEGER NOT NULL,
    lobby_message_id    INTEGER,
    vote_message_id     INTEGER,
    host_user_id        INTEGER NOT NULL REFERENCES users (id),
    status              TEXT    NOT NULL,        -- 'lobby' | 'voting' | 'closed' | 'cancelled'
    strategy            TEXT    NOT NULL,
    params              TEXT    NOT NULL DEFAULT '{}', -- JSON: runtime, genre, when, anonymous
    deadline_at         INTEGER,
    winner_movie_id     INTEGER REFERENCES movies (id),
    scheduled_event_id  INTEGER,
    created_at          INTEGER NOT NULL,
    closed_at           INTEGER
);
CREATE INDEX watch_parties_guild ON watch_parties (guild_id, created_at);
CREATE INDEX watch_parties_open ON watch_parties (status, deadline_at);

CREATE TABLE watch_party_members (
    party_id    INTEGER NOT NULL REFERENCES watch_parties (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at   INTEGER NOT NULL,
    left_at     INTEGER,
    PRIMARY KEY (party_id, user_id)
);

CREATE TABLE watch_party_candidates (
    party_id     INTEGER NOT NULL REFERENCES watch_parties (id) ON DELETE CASCADE,
    movie_id     INTEGER NOT NULL REFERENCES movies (id),
    position     INTEGER NOT NULL,
    group_score  REAL    NOT NULL,
    details      TEXT    NOT NULL DEFAULT '{}', -- JSON: per-member predictions, reason
    PRIMARY KEY (party_id, movie_id)
);

CREATE TABLE watch_party_votes (
    party_id    INTEGER NOT NULL REFERENCES watch_parties (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id    INTEGER NOT NULL REFERENCES movies (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (party_id, user_id, movie_id)
);

-- Fairness across movie nights: members least satisfied last time weigh more next time.
CREATE TABLE guild_fairness (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    debt        REAL    NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- Multi-turn conversation state per user and channel.
CREATE TABLE conversations (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL,
    state       TEXT    NOT NULL, -- JSON
    updated_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, channel_id)
);

-- Trained model snapshots (recommenders and taste groups), newest wins.
CREATE TABLE model_snapshots (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL,
    format      INTEGER NOT NULL,
    data        BLOB    NOT NULL,
    events_seen INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX model_snapshots_kind ON model_snapshots (kind, created_at);

CREATE TABLE taste_assignments (
    snapshot_id INTEGER NOT NULL REFERENCES model_snapshots (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_key   TEXT    NOT NULL,
    group_name  TEXT    NOT NULL,
    PRIMARY KEY (snapshot_id, user_id)
);
