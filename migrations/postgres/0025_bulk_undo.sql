-- The bulk change an entry of the history came from, so that a bulk removal can be undone
-- in one step: everyone it removed, put back with their access and their original dates.
-- No foreign key: the history outlives the bulk change's row, and is never rewritten.
ALTER TABLE history ADD COLUMN bulk_id BIGINT;
CREATE INDEX history_bulk_idx ON history (bulk_id, id) WHERE bulk_id IS NOT NULL;
