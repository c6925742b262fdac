-- Engagement flows. Each saved version of a flow is a row; the highest version of a key is
-- the flow as it runs now. definition holds the flow's trigger and steps as JSON.
CREATE TABLE flows (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    flow_key   TEXT NOT NULL,
    version    INTEGER NOT NULL,
    enabled    BOOLEAN NOT NULL,
    trigger_event TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, flow_key, version)
);
CREATE INDEX flows_trigger ON flows (tenant_id, trigger_event);

-- One member's pass through a flow. At most one active run per member and flow.
CREATE TABLE flow_runs (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    flow_key   TEXT NOT NULL,
    version    INTEGER NOT NULL,
    member_id  TEXT NOT NULL,
    state      TEXT NOT NULL,
    step       INTEGER NOT NULL,
    wait_until BIGINT NOT NULL,
    arm        TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at   BIGINT NOT NULL,
    reason     TEXT NOT NULL,
    data       TEXT NOT NULL
);
CREATE UNIQUE INDEX flow_runs_one_active ON flow_runs (tenant_id, flow_key, member_id) WHERE state = 'active';
CREATE INDEX flow_runs_member ON flow_runs (tenant_id, member_id, flow_key, started_at);

-- Every message a flow (or a test send) made, and what became of it: queued, deferred
-- (reason, send_at), sent, failed, dropped, bounced or skipped for lack of consent.
-- Consent is the member's own (members.consents), checked when a message is sent.
-- (run_id, step_id) is unique, so a step never makes its message twice.
CREATE TABLE flow_messages (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    flow_key    TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    step_id     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    template    TEXT NOT NULL,
    priority    INTEGER NOT NULL,
    expiry      BIGINT NOT NULL,
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    unsub_token TEXT NOT NULL UNIQUE,
    attempts    INTEGER NOT NULL,
    queued_at   BIGINT NOT NULL,
    send_at     BIGINT NOT NULL,
    sent_at     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    data        TEXT NOT NULL,
    UNIQUE (run_id, step_id)
);
CREATE INDEX flow_messages_member ON flow_messages (tenant_id, member_id, queued_at);
