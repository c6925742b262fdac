-- Tenure core schema. One schema for SQLite and PostgreSQL: times are BIGINT microseconds
-- since the Unix epoch (UTC), money and points are BIGINT, documents are JSON text.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    program     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);

CREATE TABLE members (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    external_id  TEXT NOT NULL,
    email        TEXT NOT NULL DEFAULT '',
    doc          TEXT NOT NULL,
    enrolled_at  BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (tenant_id, external_id)
);
CREATE INDEX members_email ON members (tenant_id, email);
CREATE INDEX members_list ON members (tenant_id, id);

CREATE TABLE member_tags (
    tenant_id  TEXT NOT NULL,
    tag        TEXT NOT NULL,
    member_id  TEXT NOT NULL REFERENCES members(id),
    PRIMARY KEY (tenant_id, tag, member_id)
);

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    type         TEXT NOT NULL,
    member_id    TEXT NOT NULL DEFAULT '',
    body_hash    TEXT NOT NULL,
    payload      TEXT NOT NULL,
    result       TEXT NOT NULL,
    occurred_at  BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (tenant_id, external_id)
);
CREATE INDEX events_member ON events (member_id, id);

CREATE TABLE orders (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    currency     TEXT NOT NULL,
    subtotal     BIGINT NOT NULL,
    shipping     BIGINT NOT NULL,
    discount     BIGINT NOT NULL,
    placed_at    BIGINT,
    paid_at      BIGINT,
    fulfilled_at BIGINT,
    cancelled_at BIGINT,
    refunds      TEXT NOT NULL,
    points       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (tenant_id, external_id)
);
CREATE INDEX orders_member ON orders (member_id, id);

CREATE TABLE order_lines (
    order_id    TEXT NOT NULL REFERENCES orders(id),
    line_no     INTEGER NOT NULL,
    line_id     TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    sku         TEXT NOT NULL,
    name        TEXT NOT NULL,
    category    TEXT NOT NULL,
    brand       TEXT NOT NULL,
    quantity    BIGINT NOT NULL,
    unit_price  BIGINT NOT NULL,
    discount    BIGINT NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE balances (
    member_id          TEXT NOT NULL REFERENCES members(id),
    wallet             TEXT NOT NULL,
    tenant_id          TEXT NOT NULL,
    available          BIGINT NOT NULL,
    pending            BIGINT NOT NULL,
    earned             BIGINT NOT NULL,
    spent              BIGINT NOT NULL,
    expired            BIGINT NOT NULL,
    reversed           BIGINT NOT NULL,
    adjusted           BIGINT NOT NULL,
    transferred_in     BIGINT NOT NULL,
    transferred_out    BIGINT NOT NULL,
    next_expiry_at     BIGINT,
    next_expiry_amount BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (member_id, wallet)
);

CREATE TABLE lots (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    member_id     TEXT NOT NULL,
    wallet        TEXT NOT NULL,
    source_type   TEXT NOT NULL,
    source_id     TEXT NOT NULL,
    pending       BIGINT NOT NULL,
    remaining     BIGINT NOT NULL,
    available_at  BIGINT,
    expires_at    BIGINT,
    debt          BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX lots_open ON lots (member_id, wallet) WHERE pending <> 0 OR remaining <> 0;

CREATE TABLE ledger_entries (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    wallet      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    bucket      TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    lot_id      TEXT NOT NULL,
    cause_type  TEXT NOT NULL,
    cause_id    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX ledger_member ON ledger_entries (member_id, wallet, id);

CREATE TABLE outbox (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    type        TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX outbox_tenant ON outbox (tenant_id, id);

CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    event_types TEXT NOT NULL,
    description TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, id);

CREATE TABLE deliveries (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    webhook_id    TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL,
    run_at        BIGINT NOT NULL,
    lease_owner   TEXT NOT NULL DEFAULT '',
    lease_until   BIGINT NOT NULL DEFAULT 0,
    last_status   INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (run_at) WHERE state IN ('pending', 'running');
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id);

CREATE TABLE delivery_attempts (
    delivery_id  TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    tenant_id    TEXT NOT NULL,
    at           BIGINT NOT NULL,
    status_code  INTEGER NOT NULL,
    duration_us  BIGINT NOT NULL,
    error        TEXT NOT NULL,
    node         TEXT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    job_key      TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    run_at       BIGINT NOT NULL,
    lease_owner  TEXT NOT NULL DEFAULT '',
    lease_until  BIGINT NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    done_at      BIGINT,
    done_by      TEXT NOT NULL DEFAULT '',
    UNIQUE (tenant_id, kind, job_key)
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE state IN ('pending', 'running');

CREATE TABLE audit_log (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    details      TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX audit_tenant ON audit_log (tenant_id, id);

CREATE TABLE idempotency_keys (
    tenant_id   TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    operation   TEXT NOT NULL,
    body_hash   TEXT NOT NULL,
    response    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, idem_key)
);
