-- A successor names the token it replaced. On PostgreSQL rotation is one
-- statement (a data-modifying CTE consumes the parent under its row lock and
-- inserts the successor only if that succeeded); the column keeps the lineage.
ALTER TABLE refresh_tokens ADD COLUMN parent_hash TEXT;
