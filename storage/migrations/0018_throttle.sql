-- Windowed counts shared by every node, for throttles such as the dashboard's sign-in
-- limit: how many times something happened per counter key (a hash, never the email or
-- address itself) in each bucket of time (bucket = the bucket's start, microseconds).
-- Rows older than the longest window are deleted as new ones are counted.
CREATE TABLE throttle_counts (
    counter_key  TEXT NOT NULL,
    bucket       BIGINT NOT NULL,
    n            INTEGER NOT NULL,
    PRIMARY KEY (counter_key, bucket)
);
CREATE INDEX throttle_counts_bucket ON throttle_counts (bucket);
