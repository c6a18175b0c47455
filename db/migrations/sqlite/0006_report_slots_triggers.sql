-- Keeps order_slots and product_slots exact in the same statement that changes an order (see the MySQL
-- migration); SQLite has no IF in triggers, so each condition is a trigger of its own.
CREATE TRIGGER `orders_slots_after_insert` AFTER INSERT ON `orders` FOR EACH ROW
BEGIN
  INSERT INTO `order_slots` (`slot`, `currency`, `orders`) VALUES (NEW.`created_at` / 900000, NEW.`currency`, 1)
    ON CONFLICT (`slot`, `currency`) DO UPDATE SET `orders` = `orders` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `orders_slots_after_insert_paid` AFTER INSERT ON `orders` FOR EACH ROW WHEN NEW.`paid_at` IS NOT NULL
BEGIN
  INSERT INTO `order_slots` (`slot`, `currency`, `paid_orders`, `revenue_minor`)
    VALUES (NEW.`paid_at` / 900000, NEW.`currency`, 1, NEW.`amount_minor`)
    ON CONFLICT (`slot`, `currency`) DO UPDATE SET `paid_orders` = `paid_orders` + 1, `revenue_minor` = `revenue_minor` + NEW.`amount_minor`;
  INSERT INTO `product_slots` (`slot`, `product_id`, `currency`, `paid_orders`, `quantity`, `revenue_minor`)
    VALUES (NEW.`paid_at` / 900000, NEW.`product_id`, NEW.`currency`, 1, NEW.`quantity`, NEW.`amount_minor`)
    ON CONFLICT (`slot`, `product_id`, `currency`) DO UPDATE SET `paid_orders` = `paid_orders` + 1,
      `quantity` = `quantity` + NEW.`quantity`, `revenue_minor` = `revenue_minor` + NEW.`amount_minor`;
END;
--> statement-breakpoint
CREATE TRIGGER `orders_slots_after_update_created` AFTER UPDATE OF `created_at`, `currency` ON `orders` FOR EACH ROW
WHEN OLD.`created_at` IS NOT NEW.`created_at` OR OLD.`currency` IS NOT NEW.`currency`
BEGIN
  UPDATE `order_slots` SET `orders` = `orders` - 1
    WHERE `slot` = OLD.`created_at` / 900000 AND `currency` = OLD.`currency`;
  INSERT INTO `order_slots` (`slot`, `currency`, `orders`) VALUES (NEW.`created_at` / 900000, NEW.`currency`, 1)
    ON CONFLICT (`slot`, `currency`) DO UPDATE SET `orders` = `orders` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `orders_slots_after_update_unpaid` AFTER UPDATE OF `paid_at`, `amount_minor`, `currency`, `product_id`, `quantity` ON `orders` FOR EACH ROW
WHEN OLD.`paid_at` IS NOT NULL AND (OLD.`paid_at` IS NOT NEW.`paid_at` OR OLD.`amount_minor` IS NOT NEW.`amount_minor` OR OLD.`currency` IS NOT NEW.`currency` OR OLD.`product_id` IS NOT NEW.`product_id` OR OLD.`quantity` IS NOT NEW.`quantity`)
BEGIN
  UPDATE `order_slots` SET `paid_orders` = `paid_orders` - 1, `revenue_minor` = `revenue_minor` - OLD.`amount_minor`
    WHERE `slot` = OLD.`paid_at` / 900000 AND `currency` = OLD.`currency`;
  UPDATE `product_slots` SET `paid_orders` = `paid_orders` - 1, `quantity` = `quantity` - OLD.`quantity`,
      `revenue_minor` = `revenue_minor` - OLD.`amount_minor`
    WHERE `slot` = OLD.`paid_at` / 900000 AND `product_id` = OLD.`product_id` AND `currency` = OLD.`currency`;
END;
--> statement-breakpoint
CREATE TRIGGER `orders_slots_after_update_paid` AFTER UPDATE OF `paid_at`, `amount_minor`, `currency`, `product_id`, `quantity` ON `orders` FOR EACH ROW
WHEN NEW.`paid_at` IS NOT NULL AND (OLD.`paid_at` IS NOT NEW.`paid_at` OR OLD.`amount_minor` IS NOT NEW.`amount_minor` OR OLD.`currency` IS NOT NEW.`currency` OR OLD.`product_id` IS NOT NEW.`product_id` OR OLD.`quantity` IS NOT NEW.`quantity`)
BEGIN
  INSERT INTO `order_slots` (`slot`, `currency`, `paid_orders`, `revenue_minor`)
    VALUES (NEW.`paid_at` / 900000, NEW.`currency`, 1, NEW.`amount_minor`)
    ON CONFLICT (`slot`, `currency`) DO UPDATE SET `paid_orders` = `paid_orders` + 1, `revenue_minor` = `revenue_minor` + NEW.`amount_minor`;
  INSERT INTO `product_slots` (`slot`, `product_id`, `currency`, `paid_orders`, `quantity`, `revenue_minor`)
    VALUES (NEW.`paid_at` / 900000, NEW.`product_id`, NEW.`currency`, 1, NEW.`quantity`, NEW.`amount_minor`)
    ON CONFLICT (`slot`, `product_id`, `currency`) DO UPDATE SET `paid_orders` = `paid_orders` + 1,
      `quantity` = `quantity` + NEW.`quantity`, `revenue_minor` = `revenue_minor` + NEW.`amount_minor`;
END;
--> statement-breakpoint
CREATE TRIGGER `orders_slots_after_delete` AFTER DELETE ON `orders` FOR EACH ROW
BEGIN
  UPDATE `order_slots` SET `orders` = `orders` - 1
    WHERE `slot` = OLD.`created_at` / 900000 AND `currency` = OLD.`currency`;
END;
--> statement-breakpoint
CREATE TRIGGER `orders_slots_after_delete_paid` AFTER DELETE ON `orders` FOR EACH ROW WHEN OLD.`paid_at` IS NOT NULL
BEGIN
  UPDATE `order_slots` SET `paid_orders` = `paid_orders` - 1, `revenue_minor` = `revenue_minor` - OLD.`amount_minor`
    WHERE `slot` = OLD.`paid_at` / 900000 AND `currency` = OLD.`currency`;
  UPDATE `product_slots` SET `paid_orders` = `paid_orders` - 1, `quantity` = `quantity` - OLD.`quantity`,
      `revenue_minor` = `revenue_minor` - OLD.`amount_minor`
    WHERE `slot` = OLD.`paid_at` / 900000 AND `product_id` = OLD.`product_id` AND `currency` = OLD.`currency`;
END;
--> statement-breakpoint
INSERT INTO `order_slots` (`slot`, `currency`, `orders`, `paid_orders`, `revenue_minor`)
  SELECT `slot`, `currency`, SUM(`orders`), SUM(`paid_orders`), SUM(`revenue_minor`) FROM (
    SELECT `created_at` / 900000 AS `slot`, `currency`, COUNT(*) AS `orders`, 0 AS `paid_orders`, 0 AS `revenue_minor`
      FROM `orders` GROUP BY 1, 2
    UNION ALL
    SELECT `paid_at` / 900000, `currency`, 0, COUNT(*), SUM(`amount_minor`)
      FROM `orders` WHERE `paid_at` IS NOT NULL GROUP BY 1, 2
  ) GROUP BY `slot`, `currency`;
--> statement-breakpoint
INSERT INTO `product_slots` (`slot`, `product_id`, `currency`, `paid_orders`, `quantity`, `revenue_minor`)
  SELECT `paid_at` / 900000, `product_id`, `currency`, COUNT(*), SUM(`quantity`), SUM(`amount_minor`)
    FROM `orders` WHERE `paid_at` IS NOT NULL GROUP BY 1, 2, 3;
