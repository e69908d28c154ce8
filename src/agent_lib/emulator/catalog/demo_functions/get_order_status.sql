-- get_order_status: created by notebook 01 (agent_lib.setup) when the workspace lacks it,
-- replaced when this file changes. agent.yml points here (uc_function.definition), and the
-- emulated workspace seeds its demo catalog from this file.
CREATE OR REPLACE FUNCTION main.sales.get_order_status(
  order_id STRING
    COMMENT 'The order number, for example ''SO-10042'' (case and surrounding spaces are ignored).'
)
RETURNS TABLE (
  status STRING COMMENT 'pending, processing, shipped, delivered, cancelled or returned',
  order_date DATE COMMENT 'The day the order was placed.',
  ship_date DATE COMMENT 'The day the order shipped; NULL until it ships.',
  carrier STRING COMMENT 'UPS, FedEx, DHL or USPS; NULL until it ships.',
  total DOUBLE COMMENT 'Order value in USD after discounts.'
)
READS SQL DATA
COMMENT 'Looks up one sales order by its order number (like ''SO-10042'') and returns its status (pending, processing, shipped, delivered, cancelled or returned), order date, ship date, carrier and total in USD. Returns no row when no order has that number. Use it for questions about where a specific order is or when it shipped.'
RETURN
SELECT o.status, o.order_date, o.ship_date, o.carrier, o.total
FROM main.sales.orders AS o
WHERE o.order_id = upper(trim(get_order_status.order_id));
