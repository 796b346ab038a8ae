-- Completes 0004 (kept as released): an existing Discord user whose data all comes from one
-- server moves from the default server 0 to that server, so /privacy there reaches it, unless
-- that server has them already; one seen in several servers stays in server 0. The taste groups
-- stored for everyone together go (they are found per server now, and they hold people's groups).
CREATE TEMPORARY TABLE user_guilds AS
    SELECT user_id, guild_id FROM feedback_events WHERE guild_id IS NOT NULL
    UNION SELECT user_id, guild_id FROM impressions WHERE guild_id IS NOT NULL
    UNION SELECT user_id, guild_id FROM guild_fairness
    UNION SELECT host_user_id, guild_id FROM watch_parties
    UNION SELECT m.user_id, p.guild_id FROM watch_party_members m JOIN watch_parties p ON p.id = m.party_id;
CREATE TEMPORARY TABLE single_server AS
    SELECT user_id, MIN(guild_id) AS guild_id FROM user_guilds
    GROUP BY user_id HAVING COUNT(DISTINCT guild_id) = 1;
UPDATE users SET guild_id = (SELECT s.guild_id FROM single_server s WHERE s.user_id = users.id)
    WHERE kind = 'discord' AND guild_id = 0
    AND EXISTS (SELECT 1 FROM single_server s WHERE s.user_id = users.id AND s.guild_id <> 0
        AND NOT EXISTS (SELECT 1 FROM users o
            WHERE o.kind = 'discord' AND o.person = users.person AND o.guild_id = s.guild_id));
UPDATE users SET external_id = person || '@' || CAST(guild_id AS TEXT)
    WHERE kind = 'discord' AND external_id <> person || '@' || CAST(guild_id AS TEXT);
DROP TABLE single_server;
DROP TABLE user_guilds;
DELETE FROM model_snapshots WHERE kind = 'taste-groups';
