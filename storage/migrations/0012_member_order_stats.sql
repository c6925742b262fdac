-- A member's paid, uncancelled orders, with the subtotal, for the earning rules'
-- member.order_count and member.total_spent: read per event (for all the members of a
-- batch at once), so it must cost the members' own orders, never the tenant's. The index
-- covers the query, and constrains member_id and tenant_id by equality and paid_at by
-- range: without statistics SQLite prefers it to orders_paid (tenant_id, paid_at), a
-- range over every paid order of the tenant, for one member or an IN list alike.
CREATE INDEX orders_member_paid ON orders (member_id, tenant_id, paid_at, cancelled_at, subtotal);
