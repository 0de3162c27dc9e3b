-- Composite products for the connector's tests (load after fixtures.sql):
-- a configurable with three variants, a configurable set out of stock by
-- hand, a bundle and a grouped product, as Magento 2.4 stores them. The
-- products are assigned to every website (fixtures.sql's trigger).
--
-- CFG-01 (configurable, entity 9 of fixtures.sql): CFG-01-S (out of stock),
--   CFG-01-M (3 on default, 2 on eu), CFG-01-L (in stock but disabled).
-- CFG-02 (configurable, stock status "Out of Stock" set on the parent):
--   CFG-02-A (in stock).
-- BND-01 (bundle): option 1 required {MB-01 x2, OVR-01 x1}, option 2
--   optional {DEC-01 x1}, option 3 required {NMS-01 x3}.
-- GRP-01 (grouped): US-01 (position 1), MB-02 (position 2).

INSERT INTO `catalog_product_entity` (`entity_id`, `attribute_set_id`, `type_id`, `sku`) VALUES
  (40, 4, 'simple', 'CFG-01-S'), (41, 4, 'simple', 'CFG-01-M'),
  (42, 4, 'simple', 'CFG-01-L'), (43, 4, 'configurable', 'CFG-02'),
  (44, 4, 'simple', 'CFG-02-A'), (45, 4, 'bundle', 'BND-01'),
  (46, 4, 'grouped', 'GRP-01');

-- Disabled at the default scope.
INSERT INTO `catalog_product_entity_int` (`attribute_id`, `store_id`, `entity_id`, `value`) VALUES
  (97, 0, 42, 2);

-- Parents keep a legacy stock item: its is_in_stock is the parent's own
-- stock status (CFG-02 set out of stock by hand).
INSERT INTO `cataloginventory_stock_item`
  (`product_id`, `stock_id`, `website_id`, `qty`, `is_in_stock`) VALUES
  (9, 1, 0, 0, 1), (43, 1, 0, 0, 0), (45, 1, 0, 0, 1), (46, 1, 0, 0, 1),
  (40, 1, 0, 0, 0), (41, 1, 0, 3, 1), (42, 1, 0, 5, 1), (44, 1, 0, 4, 1);

INSERT INTO `inventory_source_item` (`source_code`, `sku`, `quantity`, `status`) VALUES
  ('default', 'CFG-01-S', 0, 0),
  ('default', 'CFG-01-M', 3, 1), ('eu_warehouse', 'CFG-01-M', 2, 1),
  ('default', 'CFG-01-L', 5, 1),
  ('default', 'CFG-02-A', 4, 1);

INSERT INTO `catalog_product_super_link` (`product_id`, `parent_id`) VALUES
  (40, 9), (41, 9), (42, 9), (44, 43);

INSERT INTO `catalog_product_bundle_option` (`option_id`, `parent_id`, `required`, `position`, `type`) VALUES
  (1, 45, 1, 1, 'select'), (2, 45, 0, 2, 'checkbox'), (3, 45, 1, 3, 'select');
INSERT INTO `catalog_product_bundle_selection`
  (`option_id`, `parent_product_id`, `product_id`, `position`, `is_default`, `selection_qty`) VALUES
  (1, 45, 1, 1, 1, 2), (1, 45, 4, 2, 0, 1), (2, 45, 6, 1, 0, 1),
  (3, 45, 5, 1, 1, 3);

INSERT INTO `catalog_product_link` (`link_id`, `product_id`, `linked_product_id`, `link_type_id`) VALUES
  (10, 46, 2, 3), (11, 46, 7, 3);
INSERT INTO `catalog_product_link_attribute_int` (`product_link_attribute_id`, `link_id`, `value`) VALUES
  (2, 10, 2), (2, 11, 1);
