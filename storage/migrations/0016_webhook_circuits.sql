-- Webhook delivery per endpoint: a circuit breaker per endpoint that every node reads
-- before claiming, and an index to claim one endpoint's due deliveries.
CREATE TABLE webhook_circuits (
    webhook_id  TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    state       TEXT NOT NULL,
    failures    INTEGER NOT NULL,
    opened      INTEGER NOT NULL,
    since       BIGINT NOT NULL,
    retry_at    BIGINT NOT NULL,
    last_error  TEXT NOT NULL,
    failed_at   BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX webhook_circuits_tenant ON webhook_circuits (tenant_id, webhook_id);
CREATE INDEX deliveries_webhook_due ON deliveries (webhook_id, run_at) WHERE state IN ('pending', 'running');
