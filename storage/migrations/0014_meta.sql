-- Facts about the database itself, by key. "demo" marks a database `tenure demo` built
-- (its value lists the demo's tenant ids): only such a database may be rebuilt by the demo.
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
