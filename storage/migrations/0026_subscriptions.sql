-- Subscriptions: plans, subscriptions (the document, with the state and the next renewal
-- as columns), every transition with its actor and the MRR after it (the timeline and the
-- MRR history), renewals (one per subscription and period start: the unique key makes a
-- renewal exist exactly once whichever node creates it), charge attempts (one per renewal
-- and attempt number, with the provider's idempotency key), and save-flow outcomes.

CREATE TABLE subscription_plans (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    plan_key    TEXT NOT NULL,
    doc         TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (tenant_id, plan_key)
);

CREATE TABLE subscriptions (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    plan_id     TEXT NOT NULL,
    state       TEXT NOT NULL,
    next_at     BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    doc         TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX subscriptions_tenant ON subscriptions (tenant_id, id);
CREATE INDEX subscriptions_member ON subscriptions (tenant_id, member_id);
CREATE INDEX subscriptions_state ON subscriptions (tenant_id, state, next_at);

CREATE TABLE subscription_transitions (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    subscription_id  TEXT NOT NULL,
    from_state       TEXT NOT NULL,
    to_state         TEXT NOT NULL,
    event            TEXT NOT NULL,
    actor            TEXT NOT NULL,
    mrr              BIGINT NOT NULL,
    detail           TEXT NOT NULL,
    at               BIGINT NOT NULL
);
CREATE INDEX subscription_transitions_sub ON subscription_transitions (subscription_id, id);
CREATE INDEX subscription_transitions_tenant ON subscription_transitions (tenant_id, at);

CREATE TABLE subscription_renewals (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    subscription_id  TEXT NOT NULL,
    due_at           BIGINT NOT NULL,
    status           TEXT NOT NULL,
    reason           TEXT NOT NULL,
    amount           BIGINT NOT NULL,
    attempts         BIGINT NOT NULL,
    order_id         TEXT NOT NULL,
    doc              TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (subscription_id, due_at)
);
CREATE INDEX subscription_renewals_tenant ON subscription_renewals (tenant_id, status, due_at);

CREATE TABLE subscription_charges (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    renewal_id       TEXT NOT NULL,
    attempt          BIGINT NOT NULL,
    provider         TEXT NOT NULL,
    idem_key         TEXT NOT NULL,
    status           TEXT NOT NULL,
    provider_ref     TEXT NOT NULL,
    error            TEXT NOT NULL,
    amount           BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (renewal_id, attempt)
);
CREATE INDEX subscription_charges_tenant ON subscription_charges (tenant_id, created_at);

CREATE TABLE subscription_saves (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    subscription_id  TEXT NOT NULL,
    reason           TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    offer_kind       TEXT NOT NULL,
    doc              TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    decided_at       BIGINT
);
CREATE INDEX subscription_saves_tenant ON subscription_saves (tenant_id, created_at);
CREATE INDEX subscription_saves_sub ON subscription_saves (subscription_id, id);

CREATE TABLE subscription_settings (
    tenant_id   TEXT PRIMARY KEY,
    doc         TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
