-- product_running covers whole UTC days up to the mark (the day_slot of the last covered day; -96: none yet).
-- A write into a covered day (a backfill, a payment moved by hand) moves the mark back to the day before it, and
-- the next products report remakes the rows from there. Payments of today never touch a covered day, and the
-- check is a plain read of the mark, so they take no lock for it.
INSERT INTO `rollup_marks` (`name`, `day_slot`) VALUES ('product_running', -96);
--> statement-breakpoint
CREATE TRIGGER `product_slots_mark_after_insert` AFTER INSERT ON `product_slots` FOR EACH ROW
BEGIN
  IF NEW.`slot` - NEW.`slot` % 96 <= (SELECT `day_slot` FROM `rollup_marks` WHERE `name` = 'product_running') THEN
    UPDATE `rollup_marks` SET `day_slot` = LEAST(`day_slot`, NEW.`slot` - NEW.`slot` % 96 - 96) WHERE `name` = 'product_running';
  END IF;
END;
--> statement-breakpoint
CREATE TRIGGER `product_slots_mark_after_update` AFTER UPDATE ON `product_slots` FOR EACH ROW
BEGIN
  IF NEW.`slot` - NEW.`slot` % 96 <= (SELECT `day_slot` FROM `rollup_marks` WHERE `name` = 'product_running') THEN
    UPDATE `rollup_marks` SET `day_slot` = LEAST(`day_slot`, NEW.`slot` - NEW.`slot` % 96 - 96) WHERE `name` = 'product_running';
  END IF;
END;
