-- Turns a database made from schema.sql and the fixtures into the shape of
-- Adobe Commerce with content staging (Magento_Staging,
-- Magento_CatalogStaging, ...), for the connector's tests: every product
-- version is a catalog_product_entity row (`row_id`) valid from
-- `created_in` to `updated_in` (staging update ids, which are UNIX times),
-- and the EAV values, product links, configurable links and bundle tables
-- name the parent by row_id; website assignments, stock items, categories
-- and the child side of links keep the entity_id. Before any staged update
-- every product has one version (created_in 1, updated_in 2147483647).

SET FOREIGN_KEY_CHECKS = 0;
-- A test adds versions of products, which the single-website trigger of
-- fixtures.sql would assign twice.
DROP TRIGGER IF EXISTS `fixture_assign_websites`;

ALTER TABLE `catalog_product_entity`
  MODIFY `entity_id` int(10) unsigned NOT NULL COMMENT 'Entity ID',
  DROP PRIMARY KEY,
  ADD `row_id` int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'Version Id' FIRST,
  ADD PRIMARY KEY (`row_id`),
  ADD `created_in` bigint(20) unsigned NOT NULL DEFAULT 1 COMMENT 'Update Id',
  ADD `updated_in` bigint(20) unsigned NOT NULL DEFAULT 2147483647 COMMENT 'Next Update Id',
  ADD KEY `CATALOG_PRODUCT_ENTITY_ENTITY_ID_CREATED_IN_UPDATED_IN` (`entity_id`,`created_in`,`updated_in`),
  ADD KEY `CATALOG_PRODUCT_ENTITY_CREATED_IN` (`created_in`),
  ADD KEY `CATALOG_PRODUCT_ENTITY_UPDATED_IN` (`updated_in`);

-- Parents named by row_id: entity_id -> row_id of its (only) version.
ALTER TABLE `catalog_product_entity_int`
  DROP FOREIGN KEY `CAT_PRD_ENTT_INT_ENTT_ID_CAT_PRD_ENTT_ENTT_ID`,
  DROP INDEX `CATALOG_PRODUCT_ENTITY_INT_ENTITY_ID_ATTRIBUTE_ID_STORE_ID`,
  CHANGE `entity_id` `row_id` int(10) unsigned NOT NULL COMMENT 'Version Id',
  ADD UNIQUE KEY `CATALOG_PRODUCT_ENTITY_INT_ROW_ID_ATTRIBUTE_ID_STORE_ID` (`row_id`,`attribute_id`,`store_id`);
UPDATE `catalog_product_entity_int` v JOIN `catalog_product_entity` e
  ON e.`entity_id` = v.`row_id` SET v.`row_id` = e.`row_id`;

ALTER TABLE `catalog_product_link`
  DROP FOREIGN KEY `CATALOG_PRODUCT_LINK_PRODUCT_ID_CATALOG_PRODUCT_ENTITY_ENTITY_ID`;
UPDATE `catalog_product_link` l JOIN `catalog_product_entity` e
  ON e.`entity_id` = l.`product_id` SET l.`product_id` = e.`row_id`;

ALTER TABLE `catalog_product_super_link`
  DROP FOREIGN KEY `CAT_PRD_SPR_LNK_PARENT_ID_CAT_PRD_ENTT_ENTT_ID`;
UPDATE `catalog_product_super_link` l JOIN `catalog_product_entity` e
  ON e.`entity_id` = l.`parent_id` SET l.`parent_id` = e.`row_id`;

ALTER TABLE `catalog_product_bundle_option`
  DROP FOREIGN KEY `CAT_PRD_BNDL_OPT_PARENT_ID_CAT_PRD_ENTT_ENTT_ID`;
UPDATE `catalog_product_bundle_option` o JOIN `catalog_product_entity` e
  ON e.`entity_id` = o.`parent_id` SET o.`parent_id` = e.`row_id`;
UPDATE `catalog_product_bundle_selection` s JOIN `catalog_product_entity` e
  ON e.`entity_id` = s.`parent_product_id` SET s.`parent_product_id` = e.`row_id`;

SET FOREIGN_KEY_CHECKS = 1;
