-- A member's paid, uncancelled orders, with the subtotal, for the earning rules'
-- member.order_count and member.total_spent: read per event, so it must cost the member's
-- own orders, never the tenant's. The partial index holds only such orders and covers the
-- query, which constrains member_id and tenant_id by equality: no engine prefers
-- orders_paid (tenant_id, paid_at), a range over every paid order of the tenant.
CREATE INDEX orders_member_paid ON orders (member_id, tenant_id, subtotal) WHERE paid_at IS NOT NULL AND cancelled_at IS NULL;
