-- The version of each piece of configuration staff edit by hand (program settings,
-- rewards, segments): every save adds one. A save that names the version it started from
-- is refused when another save came first, so two editors never silently lose a change.
-- Tier ladders keep theirs in tier_configs, rule sets in their history.
CREATE TABLE config_versions (
    tenant_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    ref        TEXT NOT NULL,
    version    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, ref)
);
