-- Rewards catalog and redemption: rewards (the definition as a JSON document, with the
-- counters redemptions change as columns), uploaded code pools, and issued coupons.

CREATE TABLE rewards (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    doc          TEXT NOT NULL,
    stock        BIGINT,
    issued       BIGINT NOT NULL,
    archived_at  BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX rewards_tenant ON rewards (tenant_id, id);

-- A pool code is free while coupon_id is empty. Codes are unique per tenant, across pools.
CREATE TABLE reward_codes (
    tenant_id   TEXT NOT NULL,
    code        TEXT NOT NULL,
    reward_id   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    coupon_id   TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, code)
);
CREATE INDEX reward_codes_free ON reward_codes (reward_id, seq) WHERE coupon_id = '';

CREATE TABLE coupons (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    reward_id   TEXT NOT NULL,
    code        TEXT NOT NULL,
    state       TEXT NOT NULL,
    doc         TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (tenant_id, code)
);
CREATE INDEX coupons_member ON coupons (member_id, id);
CREATE INDEX coupons_member_reward ON coupons (member_id, reward_id, state);
