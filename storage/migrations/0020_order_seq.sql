-- Each order's place in the order it arrived (input order for imports), so that orders of
-- one member at the same second have one deterministic order; the analytics stream the
-- orders by (member, payment time, seq) through the index that replaces orders_member.
ALTER TABLE orders ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
DROP INDEX orders_member;
CREATE INDEX orders_member_paid ON orders (tenant_id, member_id, paid_at, seq);
