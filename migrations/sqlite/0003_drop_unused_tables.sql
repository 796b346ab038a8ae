-- Three tables of the first schema were never read or written: server rows and their members
-- (people are known per event and per watch party instead), and per-user taste assignments
-- (taste groups are stored whole in model_snapshots).
DROP TABLE guild_members;
DROP TABLE guilds;
DROP TABLE taste_assignments;
