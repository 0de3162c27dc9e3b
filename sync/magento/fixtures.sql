-- A small Magento 2.4 MSI store for the connector's tests (load after
-- schema.sql). Expected values are worked out in magento_sync_test.cc.
--
-- Sources: default, eu_warehouse, us_warehouse (enabled), closed_store
-- (disabled). Stocks: 1 Default Stock (default), 2 EU Stock (eu_warehouse,
-- closed_store), 3 US Stock (us_warehouse). Websites: base -> 1, eu -> 2,
-- us -> 3 (website ids 1, 2, 3; one store view each: 1 default, 2 eu_de,
-- 3 us_en). Every product is assigned to every website and enabled
-- (no status value: the attribute's default, 1).

INSERT INTO `inventory_source` (`source_code`, `name`, `enabled`, `country_id`, `postcode`) VALUES
  ('default', 'Default Source', 1, 'US', '00000'),
  ('eu_warehouse', 'EU Warehouse', 1, 'DE', '10115'),
  ('us_warehouse', 'US Warehouse', 1, 'US', '10001'),
  ('closed_store', 'Closed Store', 0, 'DE', '80331');

INSERT INTO `inventory_stock` (`stock_id`, `name`) VALUES
  (1, 'Default Stock'), (2, 'EU Stock'), (3, 'US Stock');

INSERT INTO `inventory_source_stock_link` (`stock_id`, `source_code`, `priority`) VALUES
  (1, 'default', 1),
  (2, 'eu_warehouse', 1), (2, 'closed_store', 2),
  (3, 'us_warehouse', 1);

INSERT INTO `inventory_stock_sales_channel` (`type`, `code`, `stock_id`) VALUES
  ('website', 'base', 1), ('website', 'eu', 2), ('website', 'us', 3);

INSERT INTO `store_website` (`website_id`, `code`, `name`, `default_group_id`, `is_default`) VALUES
  (1, 'base', 'Main Website', 1, 1), (2, 'eu', 'EU Website', 2, 0),
  (3, 'us', 'US Website', 3, 0);
INSERT INTO `store_group` (`group_id`, `website_id`, `name`, `default_store_id`, `code`) VALUES
  (1, 1, 'Main Store', 1, 'main_store'), (2, 2, 'EU Store', 2, 'eu_store'),
  (3, 3, 'US Store', 3, 'us_store');
INSERT INTO `store` (`store_id`, `code`, `website_id`, `group_id`, `name`, `is_active`) VALUES
  (1, 'default', 1, 1, 'Default Store View', 1), (2, 'eu_de', 2, 2, 'EU German', 1),
  (3, 'us_en', 3, 3, 'US English', 1);

INSERT INTO `core_config_data` (`scope`, `scope_id`, `path`, `value`) VALUES
  ('default', 0, 'cataloginventory/item_options/manage_stock', '1'),
  ('default', 0, 'cataloginventory/item_options/backorders', '0'),
  ('default', 0, 'cataloginventory/item_options/min_qty', '2'),
  ('default', 0, 'cataloginventory/item_options/min_sale_qty', '{"32000":"1"}'),
  ('default', 0, 'cataloginventory/item_options/max_sale_qty', '100'),
  ('default', 0, 'cataloginventory/item_options/notify_stock_qty', '3'),
  ('default', 0, 'cataloginventory/item_options/enable_qty_increments', '0'),
  ('default', 0, 'cataloginventory/item_options/qty_increments', '1'),
  ('default', 0, 'cataloginventory/options/stock_threshold_qty', '5'),
  -- Website scope: the us website (3) and so stock 3 only.
  ('websites', 3, 'cataloginventory/item_options/min_qty', '1'),
  ('websites', 3, 'cataloginventory/options/stock_threshold_qty', '2'),
  -- A store-view value: stock options are not read per store view.
  ('stores', 1, 'cataloginventory/item_options/min_qty', '7'),
  ('default', 0, 'web/secure/base_url', 'https://shop.example/');

-- As a single-website admin does: a new product (also one a test adds) is
-- assigned to every website.
CREATE TRIGGER `fixture_assign_websites` AFTER INSERT ON `catalog_product_entity`
  FOR EACH ROW INSERT INTO `catalog_product_website` (`product_id`, `website_id`)
  SELECT NEW.`entity_id`, `website_id` FROM `store_website` WHERE `website_id` > 0;

INSERT INTO `catalog_product_entity` (`entity_id`, `attribute_set_id`, `type_id`, `sku`) VALUES
  (1, 4, 'simple', 'MB-01'),
  (2, 4, 'simple', 'MB-02'),
  (3, 4, 'simple', 'BO-01'),
  (4, 4, 'simple', 'OVR-01'),
  (5, 4, 'virtual', 'NMS-01'),
  (6, 4, 'simple', 'DEC-01'),
  (7, 4, 'simple', 'US-01'),
  (8, 4, 'simple', 'GONE-01'),
  (9, 4, 'configurable', 'CFG-01'),
  (10, 4, 'simple', 'CLOSED-01');

-- Legacy stock items: settings shared by every stock (Magento keeps them on
-- the default stock row, website 0).
INSERT INTO `cataloginventory_stock_item`
  (`product_id`, `stock_id`, `website_id`, `qty`, `is_in_stock`,
   `use_config_min_qty`, `min_qty`, `use_config_backorders`, `backorders`,
   `use_config_min_sale_qty`, `min_sale_qty`, `use_config_max_sale_qty`, `max_sale_qty`,
   `use_config_notify_stock_qty`, `notify_stock_qty`,
   `use_config_manage_stock`, `manage_stock`,
   `use_config_enable_qty_inc`, `enable_qty_increments`,
   `use_config_qty_increments`, `qty_increments`, `is_qty_decimal`) VALUES
  -- MB-01, MB-02: everything from the configuration.
  (1, 1, 0, 100, 1,  1, 0, 1, 0,  1, 1, 1, 0,  1, NULL,  1, 1,  1, 0,  1, 0, 0),
  (2, 1, 0, 10, 0,   1, 0, 1, 0,  1, 1, 1, 0,  1, NULL,  1, 1,  1, 0,  1, 0, 0),
  -- BO-01: backorders on with a backorder limit of 10 (min_qty -10).
  (3, 1, 0, 2, 1,    0, -10, 0, 1,  1, 1, 1, 0,  1, NULL,  1, 1,  1, 0,  1, 0, 0),
  -- OVR-01: every cart rule overridden; notify at 5; backorders explicitly
  -- off and min_qty explicitly 0.
  (4, 1, 0, 30, 1,   0, 0, 0, 0,  0, 3, 0, 12,  0, 5,  0, 1,  0, 1,  0, 3, 0),
  -- NMS-01: stock not managed.
  (5, 1, 0, 0, 0,    1, 0, 1, 0,  1, 1, 1, 0,  1, NULL,  0, 0,  1, 0,  1, 0, 0),
  -- DEC-01: decimal quantities; backorders YES_NOTIFY.
  (6, 1, 0, 2.5, 1,  1, 0, 0, 2,  1, 1, 1, 0,  1, NULL,  1, 1,  1, 0,  1, 0, 1),
  (7, 1, 0, 7, 1,    1, 0, 1, 0,  1, 1, 1, 0,  1, NULL,  1, 1,  1, 0,  1, 0, 0),
  (8, 1, 0, 4, 1,    1, 0, 1, 0,  1, 1, 1, 0,  1, NULL,  1, 1,  1, 0,  1, 0, 0),
  (10, 1, 0, 0, 0,   1, 0, 1, 0,  1, 1, 1, 0,  1, NULL,  1, 1,  1, 0,  1, 0, 0);

INSERT INTO `inventory_source_item` (`source_code`, `sku`, `quantity`, `status`) VALUES
  ('default', 'MB-01', 100, 1),
  ('eu_warehouse', 'MB-01', 20, 1),
  ('closed_store', 'MB-01', 50, 1),       -- disabled source: not counted
  ('default', 'MB-02', 10, 0),            -- out of stock: not counted
  ('eu_warehouse', 'MB-02', 5, 1),
  ('default', 'BO-01', 2, 1),
  ('default', 'OVR-01', 30, 1),
  ('default', 'NMS-01', 0, 0),
  ('default', 'DEC-01', 2.5, 1),
  ('us_warehouse', 'US-01', 7, 1),
  ('default', 'GONE-01', 4, 1),
  ('closed_store', 'CLOSED-01', 9, 1),
  -- A source item whose product was deleted from the catalog (Magento
  -- leaves none, an import might): no record.
  ('default', 'ORPHAN-01', 3, 1);

INSERT INTO `inventory_reservation` (`stock_id`, `sku`, `quantity`, `metadata`) VALUES
  (1, 'MB-01', -3, '{"event_type":"order_placed","object_type":"order","object_id":"1"}'),
  (1, 'MB-01', -2, '{"event_type":"order_placed","object_type":"order","object_id":"2"}'),
  (1, 'MB-01', 1, '{"event_type":"order_canceled","object_type":"order","object_id":"2"}'),
  (2, 'MB-01', -5, '{"event_type":"order_placed","object_type":"order","object_id":"3"}'),
  (1, 'BO-01', -5, '{"event_type":"order_placed","object_type":"order","object_id":"4"}'),
  (1, 'DEC-01', -0.75, '{"event_type":"order_placed","object_type":"order","object_id":"5"}');

-- Links: MB-01 -> related BO-01 (1), MB-02 (2); up-sell OVR-01; cross-sell
-- DEC-01; a grouped-product ("super") link that is not an alternative.
INSERT INTO `catalog_product_link` (`link_id`, `product_id`, `linked_product_id`, `link_type_id`) VALUES
  (1, 1, 2, 1), (2, 1, 3, 1), (3, 1, 4, 4), (4, 1, 6, 5), (5, 1, 7, 3),
  (6, 2, 1, 1);
INSERT INTO `catalog_product_link_attribute_int` (`product_link_attribute_id`, `link_id`, `value`) VALUES
  (1, 1, 2), (1, 2, 1), (4, 3, 1), (5, 4, 1), (2, 5, 1);

INSERT INTO `catalog_category_product` (`category_id`, `product_id`, `position`) VALUES
  (10, 1, 3), (10, 2, 1), (10, 3, 2),
  (11, 4, 0), (11, 7, 1);
