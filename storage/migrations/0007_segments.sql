-- Segments: definitions (an expression each) and their current members.
CREATE TABLE segment_defs (
    tenant_id     TEXT NOT NULL,
    seg_key       TEXT NOT NULL,
    doc           TEXT NOT NULL,
    members       BIGINT NOT NULL DEFAULT 0,
    refreshed_at  BIGINT,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, seg_key)
);

CREATE TABLE segment_members (
    tenant_id  TEXT NOT NULL,
    seg_key    TEXT NOT NULL,
    member_id  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seg_key, member_id)
);
CREATE INDEX segment_members_member ON segment_members (member_id);
