-- Every server is its own world: what Marquee knows about a person belongs to (server, person).
-- A person in two servers is two users; films are shared. Existing people go to server 0, the
-- default local server; imported raters (MovieLens) stay in the shared base (guild_id NULL).
ALTER TABLE users ADD COLUMN guild_id INTEGER;
-- The unscoped id: a Discord snowflake, a console name, a MovieLens id. external_id stays the
-- unique key: '<person>@<server>' for people, '<person>' for the base.
ALTER TABLE users ADD COLUMN person TEXT NOT NULL DEFAULT '';
UPDATE users SET person = external_id;
UPDATE users SET guild_id = 0, external_id = external_id || '@0' WHERE kind IN ('discord', 'console');
CREATE INDEX users_person ON users (kind, person);
CREATE INDEX users_guild ON users (guild_id);

-- The servers Marquee has been in; left_at is set when the bot is removed, and the server's data
-- is deleted after a grace period.
CREATE TABLE servers (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL DEFAULT '',
    joined_at   INTEGER NOT NULL,
    left_at     INTEGER
);

-- Where an experiment runs: in one server ('<id>'), or everywhere ('all', the operator's).
CREATE TABLE experiment_runs (
    experiment_key  TEXT    NOT NULL REFERENCES experiments (key) ON DELETE CASCADE,
    scope           TEXT    NOT NULL,
    status          TEXT    NOT NULL,             -- 'running' | 'stopped'
    started_at      INTEGER NOT NULL,
    stopped_at      INTEGER,
    PRIMARY KEY (experiment_key, scope)
);
INSERT INTO experiment_runs (experiment_key, scope, status, started_at, stopped_at)
    SELECT key, 'all', status, COALESCE(started_at, 0), stopped_at
    FROM experiments WHERE status IN ('running', 'stopped');
ALTER TABLE experiments DROP COLUMN status;
ALTER TABLE experiments DROP COLUMN started_at;
ALTER TABLE experiments DROP COLUMN stopped_at;

-- People who asked to be forgotten, by a keyed hash of who they are (never the id itself), so
-- that an old reaction of theirs delivered again is not stored again. guild_id NULL: everywhere.
CREATE TABLE forgotten (
    person_hash   TEXT    NOT NULL,
    guild_id      INTEGER,
    forgotten_at  INTEGER NOT NULL
);
CREATE INDEX forgotten_person ON forgotten (person_hash);

-- Random keys made on first use (the key of the hashes above).
CREATE TABLE secrets (
    name    TEXT PRIMARY KEY,
    value   BLOB NOT NULL
);

CREATE INDEX impressions_created ON impressions (created_at);
CREATE INDEX conversations_expiry ON conversations (expires_at);
