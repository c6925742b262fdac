-- API rate limits shared by every node: one token bucket per API key, kept as the time at
-- which it is full again (tat, microseconds; the generic cell rate algorithm), so that a
-- take is one integer upsert. granted is how many tokens the last take got. Rows are
-- tiny and one per key that was used; losing them only refills buckets.
CREATE TABLE rate_buckets (
    key_id   TEXT PRIMARY KEY,
    tat      BIGINT NOT NULL,
    granted  BIGINT NOT NULL
);
