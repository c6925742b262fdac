-- Totals the analytics read without touching order lines or refund documents.
ALTER TABLE orders ADD COLUMN items BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN refunded BIGINT NOT NULL DEFAULT 0;
CREATE INDEX orders_paid ON orders (tenant_id, paid_at);
