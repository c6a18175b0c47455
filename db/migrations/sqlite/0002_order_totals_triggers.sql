-- Keeps order_totals exact in the same statement that changes an order, then counts what is already there.
CREATE TRIGGER `orders_totals_after_insert` AFTER INSERT ON `orders` FOR EACH ROW
BEGIN
  INSERT INTO `order_totals` (`currency`, `status`, `orders`, `amount_minor`)
  VALUES (NEW.`currency`, NEW.`status`, 1, NEW.`amount_minor`)
  ON CONFLICT (`currency`, `status`) DO UPDATE SET `orders` = `orders` + 1, `amount_minor` = `amount_minor` + NEW.`amount_minor`;
END;
--> statement-breakpoint
CREATE TRIGGER `orders_totals_after_update` AFTER UPDATE OF `status`, `currency`, `amount_minor` ON `orders` FOR EACH ROW
WHEN OLD.`status` IS NOT NEW.`status` OR OLD.`currency` IS NOT NEW.`currency` OR OLD.`amount_minor` IS NOT NEW.`amount_minor`
BEGIN
  UPDATE `order_totals` SET `orders` = `orders` - 1, `amount_minor` = `amount_minor` - OLD.`amount_minor`
    WHERE `currency` = OLD.`currency` AND `status` = OLD.`status`;
  INSERT INTO `order_totals` (`currency`, `status`, `orders`, `amount_minor`)
  VALUES (NEW.`currency`, NEW.`status`, 1, NEW.`amount_minor`)
  ON CONFLICT (`currency`, `status`) DO UPDATE SET `orders` = `orders` + 1, `amount_minor` = `amount_minor` + NEW.`amount_minor`;
END;
--> statement-breakpoint
CREATE TRIGGER `orders_totals_after_delete` AFTER DELETE ON `orders` FOR EACH ROW
BEGIN
  UPDATE `order_totals` SET `orders` = `orders` - 1, `amount_minor` = `amount_minor` - OLD.`amount_minor`
    WHERE `currency` = OLD.`currency` AND `status` = OLD.`status`;
END;
--> statement-breakpoint
INSERT INTO `order_totals` (`currency`, `status`, `orders`, `amount_minor`)
  SELECT `currency`, `status`, COUNT(*), COALESCE(SUM(`amount_minor`), 0) FROM `orders` GROUP BY `currency`, `status`;
