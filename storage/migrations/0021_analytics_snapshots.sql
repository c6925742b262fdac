-- Each tenant's latest analytics snapshot, computed by one node and served by all: the
-- figures as of as_of, computed at computed_at, the store-wide part as a JSON summary and
-- one row per member. lease_until is held by the node computing the next one.
CREATE TABLE analytics_snapshots (
    tenant_id   TEXT PRIMARY KEY,
    as_of       BIGINT NOT NULL,
    computed_at BIGINT NOT NULL,
    summary     TEXT NOT NULL,
    lease_until BIGINT NOT NULL
);

CREATE TABLE analytics_snapshot_members (
    tenant_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, member_id)
);
