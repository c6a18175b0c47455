-- See the MySQL migration.
INSERT INTO `rollup_marks` (`name`, `day_slot`) VALUES ('product_running', -96);
--> statement-breakpoint
CREATE TRIGGER `product_slots_mark_after_insert` AFTER INSERT ON `product_slots` FOR EACH ROW
WHEN NEW.`slot` - NEW.`slot` % 96 <= (SELECT `day_slot` FROM `rollup_marks` WHERE `name` = 'product_running')
BEGIN
  UPDATE `rollup_marks` SET `day_slot` = MIN(`day_slot`, NEW.`slot` - NEW.`slot` % 96 - 96) WHERE `name` = 'product_running';
END;
--> statement-breakpoint
CREATE TRIGGER `product_slots_mark_after_update` AFTER UPDATE ON `product_slots` FOR EACH ROW
WHEN NEW.`slot` - NEW.`slot` % 96 <= (SELECT `day_slot` FROM `rollup_marks` WHERE `name` = 'product_running')
BEGIN
  UPDATE `rollup_marks` SET `day_slot` = MIN(`day_slot`, NEW.`slot` - NEW.`slot` % 96 - 96) WHERE `name` = 'product_running';
END;
