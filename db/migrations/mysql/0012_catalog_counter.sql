-- Every write to products moves the catalog's counter, in the same statement; instances poll it.
INSERT INTO `change_counters` (`name`, `value`) VALUES ('products', 0);
--> statement-breakpoint
CREATE TRIGGER `products_count_after_insert` AFTER INSERT ON `products` FOR EACH ROW
  UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'products';
--> statement-breakpoint
CREATE TRIGGER `products_count_after_update` AFTER UPDATE ON `products` FOR EACH ROW
  UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'products';
--> statement-breakpoint
CREATE TRIGGER `products_count_after_delete` AFTER DELETE ON `products` FOR EACH ROW
  UPDATE `change_counters` SET `value` = `value` + 1 WHERE `name` = 'products';
