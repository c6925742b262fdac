-- Holdout experiments: each member's first exposure to a rule with a control group.
CREATE TABLE rule_exposures (
    tenant_id   TEXT NOT NULL,
    rule_id     TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    holdout     BOOLEAN NOT NULL,
    points      BIGINT NOT NULL,
    first_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, rule_id, member_id)
);
