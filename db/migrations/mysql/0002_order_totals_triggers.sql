-- Keeps order_totals exact in the same statement that changes an order, then counts what is already there.
CREATE TRIGGER `orders_totals_after_insert` AFTER INSERT ON `orders` FOR EACH ROW
  INSERT INTO `order_totals` (`currency`, `status`, `orders`, `amount_minor`)
  VALUES (NEW.`currency`, NEW.`status`, 1, NEW.`amount_minor`)
  ON DUPLICATE KEY UPDATE `orders` = `orders` + 1, `amount_minor` = `amount_minor` + NEW.`amount_minor`;
--> statement-breakpoint
CREATE TRIGGER `orders_totals_after_update` AFTER UPDATE ON `orders` FOR EACH ROW
BEGIN
  IF NOT (OLD.`status` <=> NEW.`status`) OR NOT (OLD.`currency` <=> NEW.`currency`) OR NOT (OLD.`amount_minor` <=> NEW.`amount_minor`) THEN
    UPDATE `order_totals` SET `orders` = `orders` - 1, `amount_minor` = `amount_minor` - OLD.`amount_minor`
      WHERE `currency` = OLD.`currency` AND `status` = OLD.`status`;
    INSERT INTO `order_totals` (`currency`, `status`, `orders`, `amount_minor`)
      VALUES (NEW.`currency`, NEW.`status`, 1, NEW.`amount_minor`)
      ON DUPLICATE KEY UPDATE `orders` = `orders` + 1, `amount_minor` = `amount_minor` + NEW.`amount_minor`;
  END IF;
END;
--> statement-breakpoint
CREATE TRIGGER `orders_totals_after_delete` AFTER DELETE ON `orders` FOR EACH ROW
  UPDATE `order_totals` SET `orders` = `orders` - 1, `amount_minor` = `amount_minor` - OLD.`amount_minor`
    WHERE `currency` = OLD.`currency` AND `status` = OLD.`status`;
--> statement-breakpoint
INSERT INTO `order_totals` (`currency`, `status`, `orders`, `amount_minor`)
  SELECT `currency`, `status`, COUNT(*), COALESCE(SUM(`amount_minor`), 0) FROM `orders` GROUP BY `currency`, `status`;
