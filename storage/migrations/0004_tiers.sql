-- Tiers: each tenant's tier configuration (versioned in place), each member's tier state,
-- and each member's qualifying activity as per-month sums so that any window's total is a
-- few indexed rows, never a ledger scan.

CREATE TABLE tier_configs (
    tenant_id   TEXT PRIMARY KEY,
    version     BIGINT NOT NULL,
    doc         TEXT NOT NULL,
    actor       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- tier is the tier in force as last announced; earned is what the activity earned.
CREATE TABLE tier_states (
    member_id        TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    tier             TEXT NOT NULL,
    since            BIGINT,
    earned           TEXT NOT NULL,
    qualified_until  BIGINT,
    grace_until      BIGINT,
    manual           TEXT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX tier_states_tier ON tier_states (tenant_id, tier, member_id);

-- month is "YYYY-MM" in the program's time zone; amounts are net of refunds.
CREATE TABLE tier_stats (
    member_id  TEXT NOT NULL,
    month      TEXT NOT NULL,
    tenant_id  TEXT NOT NULL,
    points     BIGINT NOT NULL,
    spend      BIGINT NOT NULL,
    orders     BIGINT NOT NULL,
    PRIMARY KEY (member_id, month)
);
CREATE INDEX tier_stats_tenant ON tier_stats (tenant_id, member_id);
