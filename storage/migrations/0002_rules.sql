-- Earning rules: versioned rule sets, per-member usage counters for caps and limits, and
-- campaign budgets.

CREATE TABLE rule_sets (
    tenant_id   TEXT NOT NULL,
    version     BIGINT NOT NULL,
    doc         TEXT NOT NULL,
    actor       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

CREATE TABLE rule_usage (
    tenant_id   TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    rule_id     TEXT NOT NULL,
    period      TEXT NOT NULL,
    times       BIGINT NOT NULL,
    points      BIGINT NOT NULL,
    PRIMARY KEY (member_id, rule_id, period)
);

CREATE TABLE rule_budgets (
    tenant_id   TEXT NOT NULL,
    budget_key  TEXT NOT NULL,
    spent       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, budget_key)
);
