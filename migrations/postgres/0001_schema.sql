-- Marquee schema, PostgreSQL dialect. The SQLite twin is migrations/sqlite/0001_schema.sql:
-- same tables, columns and indexes. Times are milliseconds since the Unix epoch (BIGINT);
-- lists (genres, keywords, people) are '|'-joined text; flags are 0/1 integers.

CREATE TABLE movies (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title         TEXT    NOT NULL,
    norm_title    TEXT    NOT NULL,
    year          BIGINT,
    genres        TEXT    NOT NULL DEFAULT '',
    overview      TEXT    NOT NULL DEFAULT '',
    keywords      TEXT    NOT NULL DEFAULT '',
    directors     TEXT    NOT NULL DEFAULT '',
    cast_names    TEXT    NOT NULL DEFAULT '',
    countries     TEXT    NOT NULL DEFAULT '',
    runtime_min   BIGINT,
    movielens_id  BIGINT UNIQUE,
    tmdb_id       BIGINT UNIQUE,
    imdb_id       TEXT    UNIQUE,
    vote_count    BIGINT NOT NULL DEFAULT 0,
    vote_average  DOUBLE PRECISION,
    source        TEXT    NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX movies_norm_title_year ON movies (norm_title, year);

-- People Marquee knows. kind: 'discord' | 'console' | 'movielens' (historical raters stay apart).
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT    NOT NULL,
    external_id   TEXT    NOT NULL,
    display_name  TEXT    NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    UNIQUE (kind, external_id)
);

CREATE TABLE guilds (
    id            BIGINT PRIMARY KEY,          -- the Discord snowflake
    name          TEXT    NOT NULL DEFAULT '',
    settings      TEXT    NOT NULL DEFAULT '{}', -- JSON
    joined_at     BIGINT NOT NULL
);

CREATE TABLE guild_members (
    guild_id      BIGINT NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_seen    BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- The append-only feedback log. A removed reaction is a new 'reaction_removed' row.
CREATE TABLE feedback_events (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id        BIGINT NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    value           DOUBLE PRECISION,
    weight          DOUBLE PRECISION    NOT NULL DEFAULT 1,
    raw             TEXT,
    source          TEXT    NOT NULL,
    guild_id        BIGINT,
    message_id      BIGINT,
    created_at      BIGINT NOT NULL,
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
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        BIGINT REFERENCES feedback_events (id) ON DELETE SET NULL,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id        BIGINT NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    body            TEXT    NOT NULL,
    neg             DOUBLE PRECISION    NOT NULL,
    neu             DOUBLE PRECISION    NOT NULL,
    pos             DOUBLE PRECISION    NOT NULL,
    compound        DOUBLE PRECISION    NOT NULL,
    rating          DOUBLE PRECISION,
    created_at      BIGINT NOT NULL,
    idempotency_key TEXT    UNIQUE
);
CREATE INDEX reviews_user_movie ON reviews (user_id, movie_id);

-- One row per film shown in a suggestion message; reactions on the message find their film here.
CREATE TABLE impressions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id      BIGINT NOT NULL,
    channel_id      BIGINT,
    guild_id        BIGINT,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id        BIGINT NOT NULL REFERENCES movies (id) ON DELETE CASCADE,
    position        BIGINT NOT NULL,
    surface         TEXT    NOT NULL,           -- 'recommend' | 'similar' | 'ask' | 'watchparty'
    experiment_key  TEXT,
    variant         TEXT,
    created_at      BIGINT NOT NULL,
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
    version         BIGINT NOT NULL DEFAULT 1,
    started_at      BIGINT,
    stopped_at      BIGINT
);

CREATE TABLE experiment_assignments (
    experiment_key  TEXT    NOT NULL REFERENCES experiments (key) ON DELETE CASCADE,
    unit_id         TEXT    NOT NULL,
    variant         TEXT    NOT NULL,
    assigned_at     BIGINT NOT NULL,
    PRIMARY KEY (experiment_key, unit_id)
);

CREATE TABLE watch_parties (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id            BIGINT NOT NULL,
    channel_id          BIGINT NOT NULL,
    lobby_message_id    BIGINT,
    vote_message_id     BIGINT,
    host_user_id        BIGINT NOT NULL REFERENCES users (id),
    status              TEXT    NOT NULL,        -- 'lobby' | 'voting' | 'closed' | 'cancelled'
    strategy            TEXT    NOT NULL,
    params              TEXT    NOT NULL DEFAULT '{}', -- JSON: runtime, genre, when, anonymous
    deadline_at         BIGINT,
    winner_movie_id     BIGINT REFERENCES movies (id),
    scheduled_event_id  BIGINT,
    created_at          BIGINT NOT NULL,
    closed_at           BIGINT
);
CREATE INDEX watch_parties_guild ON watch_parties (guild_id, created_at);
CREATE INDEX watch_parties_open ON watch_parties (status, deadline_at);

CREATE TABLE watch_party_members (
    party_id    BIGINT NOT NULL REFERENCES watch_parties (id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at   BIGINT NOT NULL,
    left_at     BIGINT,
    PRIMARY KEY (party_id, user_id)
);

CREATE TABLE watch_party_candidates (
    party_id     BIGINT NOT NULL REFERENCES watch_parties (id) ON DELETE CASCADE,
    movie_id     BIGINT NOT NULL REFERENCES movies (id),
    position     BIGINT NOT NULL,
    group_score  DOUBLE PRECISION    NOT NULL,
    details      TEXT    NOT NULL DEFAULT '{}', -- JSON: per-member predictions, reason
    PRIMARY KEY (party_id, movie_id)
);

CREATE TABLE watch_party_votes (
    party_id    BIGINT NOT NULL REFERENCES watch_parties (id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    movie_id    BIGINT NOT NULL REFERENCES movies (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (party_id, user_id, movie_id)
);

-- Fairness across movie nights: members least satisfied last time weigh more next time.
CREATE TABLE guild_fairness (
    guild_id    BIGINT NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    debt        DOUBLE PRECISION    NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- Multi-turn conversation state per user and channel.
CREATE TABLE conversations (
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel_id  BIGINT NOT NULL,
    state       TEXT    NOT NULL, -- JSON
    updated_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, channel_id)
);

-- Trained model snapshots (recommenders and taste groups), newest wins.
CREATE TABLE model_snapshots (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT    NOT NULL,
    format      BIGINT NOT NULL,
    data        BYTEA    NOT NULL,
    events_seen BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX model_snapshots_kind ON model_snapshots (kind, created_at);

CREATE TABLE taste_assignments (
    snapshot_id BIGINT NOT NULL REFERENCES model_snapshots (id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_key   TEXT    NOT NULL,
    group_name  TEXT    NOT NULL,
    PRIMARY KEY (snapshot_id, user_id)
);
