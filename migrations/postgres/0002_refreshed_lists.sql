-- A list the user replaced with "Refresh" (a guardrail outcome of recommendation experiments).
ALTER TABLE impressions ADD COLUMN refreshed INTEGER NOT NULL DEFAULT 0;
