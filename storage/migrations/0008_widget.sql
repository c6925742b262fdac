-- Storefront widget: per tenant, the secret the store's backend signs member tokens with
-- (HMAC-SHA256, so it is kept as is, like webhook secrets) and the storefront origins
-- allowed to call the member API from a browser (a JSON array; empty for any origin).
-- An empty secret means none has been created yet: every member token is refused.

CREATE TABLE widget_settings (
    tenant_id        TEXT PRIMARY KEY REFERENCES tenants(id),
    secret           TEXT NOT NULL,
    allowed_origins  TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    rotated_at       BIGINT
);
