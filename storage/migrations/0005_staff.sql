-- Dashboard staff and their sign-in sessions. A staff account belongs to one tenant; its
-- password is kept only as a PBKDF2-SHA256 hash with a per-account salt. A session is
-- stored by the SHA-256 of its random id, so a copy of this table cannot sign anyone in.

CREATE TABLE staff (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    active         BOOLEAN NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    last_login_at  BIGINT,
    UNIQUE (tenant_id, email)
);
CREATE INDEX staff_email ON staff (email);

CREATE TABLE staff_sessions (
    id_hash     TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    staff_id    TEXT NOT NULL REFERENCES staff(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);
CREATE INDEX staff_sessions_expiry ON staff_sessions (expires_at);
