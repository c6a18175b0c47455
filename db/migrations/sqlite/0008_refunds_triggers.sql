-- The refunds ledger; see the MySQL migration. SQLite runs one writer at a time, so the check needs no lock,
-- and it has no IF in triggers, so each condition is a WHEN of its own.
CREATE TRIGGER `refunds_before_insert` BEFORE INSERT ON `refunds` FOR EACH ROW
WHEN NEW.`stripe_refund_id` IS NULL AND NEW.`applies_to_order` AND NEW.`status` = 'pending'
BEGIN
  SELECT RAISE(ABORT, 'refund exceeds what is left of the payment')
    WHERE NOT EXISTS (SELECT 1 FROM `orders` WHERE `id` = NEW.`order_id` AND `status` = 'paid'
      AND `amount_minor` - `refunded_minor` - `refund_reserved_minor` >= NEW.`amount_minor`);
END;
--> statement-breakpoint
CREATE TRIGGER `refunds_after_insert` AFTER INSERT ON `refunds` FOR EACH ROW
BEGIN
  UPDATE `orders` SET
      `status` = CASE WHEN `status` IN ('paid', 'refunded') THEN
        CASE WHEN `refunded_minor` + (CASE WHEN NEW.`applies_to_order` AND NEW.`status` = 'succeeded' THEN NEW.`amount_minor` ELSE 0 END) >= `amount_minor`
          THEN 'refunded' ELSE 'paid' END ELSE `status` END,
      `refunded_minor` = `refunded_minor` + (CASE WHEN NEW.`applies_to_order` AND NEW.`status` = 'succeeded' THEN NEW.`amount_minor` ELSE 0 END),
      `refund_reserved_minor` = `refund_reserved_minor` + (CASE WHEN NEW.`applies_to_order` AND NEW.`status` = 'pending' THEN NEW.`amount_minor` ELSE 0 END),
      `refund_count` = `refund_count` + 1
    WHERE `id` = NEW.`order_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `refunds_after_insert_succeeded` AFTER INSERT ON `refunds` FOR EACH ROW
WHEN NEW.`applies_to_order` AND NEW.`status` = 'succeeded'
BEGIN
  INSERT INTO `order_slots` (`slot`, `currency`, `refunds_minor`) VALUES (NEW.`created_at` / 900000, NEW.`currency`, NEW.`amount_minor`)
    ON CONFLICT (`slot`, `currency`) DO UPDATE SET `refunds_minor` = `refunds_minor` + NEW.`amount_minor`;
END;
--> statement-breakpoint
CREATE TRIGGER `refunds_after_update` AFTER UPDATE OF `status` ON `refunds` FOR EACH ROW
WHEN OLD.`status` IS NOT NEW.`status` AND NEW.`applies_to_order`
BEGIN
  UPDATE `orders` SET
      `status` = CASE WHEN `status` IN ('paid', 'refunded') THEN
        CASE WHEN `refunded_minor` + (CASE WHEN NEW.`status` = 'succeeded' THEN NEW.`amount_minor` ELSE 0 END)
          - (CASE WHEN OLD.`status` = 'succeeded' THEN OLD.`amount_minor` ELSE 0 END) >= `amount_minor`
          THEN 'refunded' ELSE 'paid' END ELSE `status` END,
      `refunded_minor` = `refunded_minor` + (CASE WHEN NEW.`status` = 'succeeded' THEN NEW.`amount_minor` ELSE 0 END)
        - (CASE WHEN OLD.`status` = 'succeeded' THEN OLD.`amount_minor` ELSE 0 END),
      `refund_reserved_minor` = `refund_reserved_minor` + (CASE WHEN NEW.`status` = 'pending' THEN NEW.`amount_minor` ELSE 0 END)
        - (CASE WHEN OLD.`status` = 'pending' THEN OLD.`amount_minor` ELSE 0 END)
    WHERE `id` = NEW.`order_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `refunds_after_update_succeeded` AFTER UPDATE OF `status` ON `refunds` FOR EACH ROW
WHEN OLD.`status` IS NOT 'succeeded' AND NEW.`status` = 'succeeded' AND NEW.`applies_to_order`
BEGIN
  INSERT INTO `order_slots` (`slot`, `currency`, `refunds_minor`) VALUES (NEW.`created_at` / 900000, NEW.`currency`, NEW.`amount_minor`)
    ON CONFLICT (`slot`, `currency`) DO UPDATE SET `refunds_minor` = `refunds_minor` + NEW.`amount_minor`;
END;
--> statement-breakpoint
CREATE TRIGGER `refunds_after_update_unsucceeded` AFTER UPDATE OF `status` ON `refunds` FOR EACH ROW
WHEN OLD.`status` = 'succeeded' AND NEW.`status` IS NOT 'succeeded' AND NEW.`applies_to_order`
BEGIN
  UPDATE `order_slots` SET `refunds_minor` = `refunds_minor` - OLD.`amount_minor`
    WHERE `slot` = OLD.`created_at` / 900000 AND `currency` = OLD.`currency`;
END;
--> statement-breakpoint
CREATE TRIGGER `refunds_after_delete` AFTER DELETE ON `refunds` FOR EACH ROW
BEGIN
  UPDATE `orders` SET
      `status` = CASE WHEN `status` IN ('paid', 'refunded') THEN
        CASE WHEN `refunded_minor` - (CASE WHEN OLD.`applies_to_order` AND OLD.`status` = 'succeeded' THEN OLD.`amount_minor` ELSE 0 END) >= `amount_minor`
          THEN 'refunded' ELSE 'paid' END ELSE `status` END,
      `refunded_minor` = `refunded_minor` - (CASE WHEN OLD.`applies_to_order` AND OLD.`status` = 'succeeded' THEN OLD.`amount_minor` ELSE 0 END),
      `refund_reserved_minor` = `refund_reserved_minor` - (CASE WHEN OLD.`applies_to_order` AND OLD.`status` = 'pending' THEN OLD.`amount_minor` ELSE 0 END),
      `refund_count` = `refund_count` - 1
    WHERE `id` = OLD.`order_id`;
  UPDATE `order_slots` SET `refunds_minor` = `refunds_minor` - OLD.`amount_minor`
    WHERE OLD.`applies_to_order` AND OLD.`status` = 'succeeded' AND `slot` = OLD.`created_at` / 900000 AND `currency` = OLD.`currency`;
END;
--> statement-breakpoint
DROP TRIGGER `orders_totals_after_update`;
--> statement-breakpoint
CREATE TRIGGER `orders_totals_after_update` AFTER UPDATE OF `status`, `currency`, `amount_minor`, `refunded_minor` ON `orders` FOR EACH ROW
WHEN OLD.`status` IS NOT NEW.`status` OR OLD.`currency` IS NOT NEW.`currency` OR OLD.`amount_minor` IS NOT NEW.`amount_minor` OR OLD.`refunded_minor` IS NOT NEW.`refunded_minor`
BEGIN
  UPDATE `order_totals` SET `orders` = `orders` - 1, `amount_minor` = `amount_minor` - OLD.`amount_minor`,
      `refunded_minor` = `refunded_minor` - OLD.`refunded_minor`
    WHERE `currency` = OLD.`currency` AND `status` = OLD.`status`;
  INSERT INTO `order_totals` (`currency`, `status`, `orders`, `amount_minor`, `refunded_minor`)
  VALUES (NEW.`currency`, NEW.`status`, 1, NEW.`amount_minor`, NEW.`refunded_minor`)
  ON CONFLICT (`currency`, `status`) DO UPDATE SET `orders` = `orders` + 1, `amount_minor` = `amount_minor` + NEW.`amount_minor`,
    `refunded_minor` = `refunded_minor` + NEW.`refunded_minor`;
END;
--> statement-breakpoint
DROP TRIGGER `orders_totals_after_delete`;
--> statement-breakpoint
CREATE TRIGGER `orders_totals_after_delete` AFTER DELETE ON `orders` FOR EACH ROW
BEGIN
  UPDATE `order_totals` SET `orders` = `orders` - 1, `amount_minor` = `amount_minor` - OLD.`amount_minor`,
      `refunded_minor` = `refunded_minor` - OLD.`refunded_minor`
    WHERE `currency` = OLD.`currency` AND `status` = OLD.`status`;
END;
