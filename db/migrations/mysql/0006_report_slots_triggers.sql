-- Keeps order_slots and product_slots exact in the same statement that changes an order (an order counts in
-- the 15-minute UTC slot it was created in; its payment in the slot of paid_at), then counts what is already there.
CREATE TRIGGER `orders_slots_after_insert` AFTER INSERT ON `orders` FOR EACH ROW
BEGIN
  INSERT INTO `order_slots` (`slot`, `currency`, `orders`) VALUES (TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', NEW.`created_at`) DIV 900, NEW.`currency`, 1)
      ON DUPLICATE KEY UPDATE `orders` = `orders` + 1;
  IF NEW.`paid_at` IS NOT NULL THEN
    INSERT INTO `order_slots` (`slot`, `currency`, `paid_orders`, `revenue_minor`)
      VALUES (TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', NEW.`paid_at`) DIV 900, NEW.`currency`, 1, NEW.`amount_minor`)
      ON DUPLICATE KEY UPDATE `paid_orders` = `paid_orders` + 1, `revenue_minor` = `revenue_minor` + NEW.`amount_minor`;
    INSERT INTO `product_slots` (`slot`, `product_id`, `currency`, `paid_orders`, `quantity`, `revenue_minor`)
      VALUES (TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', NEW.`paid_at`) DIV 900, NEW.`product_id`, NEW.`currency`, 1, NEW.`quantity`, NEW.`amount_minor`)
      ON DUPLICATE KEY UPDATE `paid_orders` = `paid_orders` + 1, `quantity` = `quantity` + NEW.`quantity`,
        `revenue_minor` = `revenue_minor` + NEW.`amount_minor`;
  END IF;
END;
--> statement-breakpoint
CREATE TRIGGER `orders_slots_after_update` AFTER UPDATE ON `orders` FOR EACH ROW
BEGIN
  IF NOT (OLD.`created_at` <=> NEW.`created_at`) OR NOT (OLD.`currency` <=> NEW.`currency`) THEN
    UPDATE `order_slots` SET `orders` = `orders` - 1
      WHERE `slot` = TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', OLD.`created_at`) DIV 900 AND `currency` = OLD.`currency`;
    INSERT INTO `order_slots` (`slot`, `currency`, `orders`) VALUES (TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', NEW.`created_at`) DIV 900, NEW.`currency`, 1)
      ON DUPLICATE KEY UPDATE `orders` = `orders` + 1;
  END IF;
  IF NOT (OLD.`paid_at` <=> NEW.`paid_at`) OR NOT (OLD.`amount_minor` <=> NEW.`amount_minor`) OR NOT (OLD.`currency` <=> NEW.`currency`) OR NOT (OLD.`product_id` <=> NEW.`product_id`) OR NOT (OLD.`quantity` <=> NEW.`quantity`) THEN
    IF OLD.`paid_at` IS NOT NULL THEN
      UPDATE `order_slots` SET `paid_orders` = `paid_orders` - 1, `revenue_minor` = `revenue_minor` - OLD.`amount_minor`
      WHERE `slot` = TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', OLD.`paid_at`) DIV 900 AND `currency` = OLD.`currency`;
    UPDATE `product_slots` SET `paid_orders` = `paid_orders` - 1, `quantity` = `quantity` - OLD.`quantity`,
        `revenue_minor` = `revenue_minor` - OLD.`amount_minor`
      WHERE `slot` = TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', OLD.`paid_at`) DIV 900 AND `product_id` = OLD.`product_id` AND `currency` = OLD.`currency`;
    END IF;
    IF NEW.`paid_at` IS NOT NULL THEN
      INSERT INTO `order_slots` (`slot`, `currency`, `paid_orders`, `revenue_minor`)
      VALUES (TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', NEW.`paid_at`) DIV 900, NEW.`currency`, 1, NEW.`amount_minor`)
      ON DUPLICATE KEY UPDATE `paid_orders` = `paid_orders` + 1, `revenue_minor` = `revenue_minor` + NEW.`amount_minor`;
    INSERT INTO `product_slots` (`slot`, `product_id`, `currency`, `paid_orders`, `quantity`, `revenue_minor`)
      VALUES (TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', NEW.`paid_at`) DIV 900, NEW.`product_id`, NEW.`currency`, 1, NEW.`quantity`, NEW.`amount_minor`)
      ON DUPLICATE KEY UPDATE `paid_orders` = `paid_orders` + 1, `quantity` = `quantity` + NEW.`quantity`,
        `revenue_minor` = `revenue_minor` + NEW.`amount_minor`;
    END IF;
  END IF;
END;
--> statement-breakpoint
CREATE TRIGGER `orders_slots_after_delete` AFTER DELETE ON `orders` FOR EACH ROW
BEGIN
  UPDATE `order_slots` SET `orders` = `orders` - 1
      WHERE `slot` = TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', OLD.`created_at`) DIV 900 AND `currency` = OLD.`currency`;
  IF OLD.`paid_at` IS NOT NULL THEN
    UPDATE `order_slots` SET `paid_orders` = `paid_orders` - 1, `revenue_minor` = `revenue_minor` - OLD.`amount_minor`
      WHERE `slot` = TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', OLD.`paid_at`) DIV 900 AND `currency` = OLD.`currency`;
    UPDATE `product_slots` SET `paid_orders` = `paid_orders` - 1, `quantity` = `quantity` - OLD.`quantity`,
        `revenue_minor` = `revenue_minor` - OLD.`amount_minor`
      WHERE `slot` = TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', OLD.`paid_at`) DIV 900 AND `product_id` = OLD.`product_id` AND `currency` = OLD.`currency`;
  END IF;
END;
--> statement-breakpoint
INSERT INTO `order_slots` (`slot`, `currency`, `orders`, `paid_orders`, `revenue_minor`)
  SELECT `slot`, `currency`, SUM(`orders`), SUM(`paid_orders`), SUM(`revenue_minor`) FROM (
    SELECT TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', `created_at`) DIV 900 AS `slot`, `currency`, COUNT(*) AS `orders`, 0 AS `paid_orders`, 0 AS `revenue_minor`
      FROM `orders` GROUP BY 1, 2
    UNION ALL
    SELECT TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', `paid_at`) DIV 900, `currency`, 0, COUNT(*), SUM(`amount_minor`)
      FROM `orders` WHERE `paid_at` IS NOT NULL GROUP BY 1, 2
  ) AS `counted` GROUP BY `slot`, `currency`;
--> statement-breakpoint
INSERT INTO `product_slots` (`slot`, `product_id`, `currency`, `paid_orders`, `quantity`, `revenue_minor`)
  SELECT TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', `paid_at`) DIV 900, `product_id`, `currency`, COUNT(*), SUM(`quantity`), SUM(`amount_minor`)
    FROM `orders` WHERE `paid_at` IS NOT NULL GROUP BY 1, 2, 3;
