-- Shop connections: a tenant's Shopify store or WooCommerce site. Credentials (the
-- webhook signing secret, the API token or consumer key and secret) are sealed at rest.
CREATE TABLE shop_connections (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    platform       TEXT NOT NULL,
    domain         TEXT NOT NULL,
    api_url        TEXT NOT NULL,
    webhook_secret TEXT NOT NULL,
    api_key        TEXT NOT NULL,
    api_secret     TEXT NOT NULL,
    sync_codes     BOOLEAN NOT NULL,
    status         TEXT NOT NULL,
    outbox_cursor  TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (tenant_id, platform)
);

-- Every webhook a shop sent, keyed by the platform's delivery id: a redelivery finds its
-- row and changes nothing. outcome is applied, skipped or failed; detail says why.
CREATE TABLE shop_deliveries (
    connection_id TEXT NOT NULL,
    delivery_id   TEXT NOT NULL,
    tenant_id     TEXT NOT NULL,
    topic         TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    detail        TEXT NOT NULL,
    events        INTEGER NOT NULL,
    received_at   BIGINT NOT NULL,
    PRIMARY KEY (connection_id, delivery_id)
);
CREATE INDEX shop_deliveries_recent ON shop_deliveries (connection_id, received_at);

-- Coupon codes mirrored into a shop: one row per coupon, so a code is created there at
-- most once. want is what the shop should hold (active or disabled), state what it is
-- known to hold (none, active, disabled); a row whose state differs from want is work.
CREATE TABLE shop_codes (
    coupon_id     TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    code          TEXT NOT NULL,
    want          TEXT NOT NULL,
    state         TEXT NOT NULL,
    remote_id     TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    last_error    TEXT NOT NULL,
    run_at        BIGINT NOT NULL,
    lease_until   BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX shop_codes_due ON shop_codes (run_at) WHERE state <> want;
CREATE INDEX shop_codes_connection ON shop_codes (connection_id, updated_at);
