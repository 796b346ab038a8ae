-- Writes that must happen once even when they are tried again: a retry after a lost commit
-- acknowledgement, or an interaction Discord delivered twice. The key names the attempt
-- ('vote:<interaction id>', 'party:<interaction id>', 'close:<party>:<attempt>'); result is what
-- the first try returned (the vote's new state, the new party's id, 1 for a close). Old keys are
-- swept after a day. Nothing here names a person.
CREATE TABLE applied_actions (
    key        TEXT    PRIMARY KEY,
    result     BIGINT  NOT NULL,
    applied_at BIGINT  NOT NULL
);
CREATE INDEX applied_actions_at ON applied_actions (applied_at);
