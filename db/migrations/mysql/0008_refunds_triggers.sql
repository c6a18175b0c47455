-- The refunds ledger (docs/decisions/007-refunds-ledger.md). A row contributes to its order only when it
-- applies to the order's own payment: while pending its amount is reserved, once succeeded it is refunded.
-- An attempt the app makes (no Stripe id yet) must fit in what is left: the locking read serialises attempts
-- on one order, and a refusal aborts the INSERT. A refund Stripe already made is recorded whatever is left.
CREATE TRIGGER `refunds_before_insert` BEFORE INSERT ON `refunds` FOR EACH ROW
BEGIN
  DECLARE refundable BIGINT;
  IF NEW.`stripe_refund_id` IS NULL AND NEW.`applies_to_order` AND NEW.`status` = 'pending' THEN
    SELECT CASE WHEN `status` = 'paid' THEN `amount_minor` - `refunded_minor` - `refund_reserved_minor` ELSE 0 END
      INTO refundable FROM `orders` WHERE `id` = NEW.`order_id` FOR UPDATE;
    IF refundable IS NULL OR refundable < NEW.`amount_minor` THEN
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refund exceeds what is left of the payment';
    END IF;
  END IF;
END;
--> statement-breakpoint
CREATE TRIGGER `refunds_after_insert` AFTER INSERT ON `refunds` FOR EACH ROW
BEGIN
  DECLARE refunded BIGINT DEFAULT CASE WHEN NEW.`applies_to_order` AND NEW.`status` = 'succeeded' THEN NEW.`amount_minor` ELSE 0 END;
  DECLARE reserved BIGINT DEFAULT CASE WHEN NEW.`applies_to_order` AND NEW.`status` = 'pending' THEN NEW.`amount_minor` ELSE 0 END;
  -- status first: MySQL gives later assignments the new values, and the status must see the old ones.
  UPDATE `orders` SET
      `status` = CASE WHEN `status` IN ('paid', 'refunded') THEN
        CASE WHEN `refunded_minor` + refunded >= `amount_minor` THEN 'refunded' ELSE 'paid' END ELSE `status` END,
      `refunded_minor` = `refunded_minor` + refunded,
      `refund_reserved_minor` = `refund_reserved_minor` + reserved,
      `refund_count` = `refund_count` + 1
    WHERE `id` = NEW.`order_id`;
  IF refunded <> 0 THEN
    INSERT INTO `order_slots` (`slot`, `currency`, `refunds_minor`)
      VALUES (TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', NEW.`created_at`) DIV 900, NEW.`currency`, refunded)
      ON DUPLICATE KEY UPDATE `refunds_minor` = `refunds_minor` + refunded;
  END IF;
END;
--> statement-breakpoint
CREATE TRIGGER `refunds_after_update` AFTER UPDATE ON `refunds` FOR EACH ROW
BEGIN
  DECLARE refunded BIGINT DEFAULT
    (CASE WHEN NEW.`applies_to_order` AND NEW.`status` = 'succeeded' THEN NEW.`amount_minor` ELSE 0 END)
    - (CASE WHEN OLD.`applies_to_order` AND OLD.`status` = 'succeeded' THEN OLD.`amount_minor` ELSE 0 END);
  DECLARE reserved BIGINT DEFAULT
    (CASE WHEN NEW.`applies_to_order` AND NEW.`status` = 'pending' THEN NEW.`amount_minor` ELSE 0 END)
    - (CASE WHEN OLD.`applies_to_order` AND OLD.`status` = 'pending' THEN OLD.`amount_minor` ELSE 0 END);
  IF refunded <> 0 OR reserved <> 0 THEN
    UPDATE `orders` SET
        `status` = CASE WHEN `status` IN ('paid', 'refunded') THEN
          CASE WHEN `refunded_minor` + refunded >= `amount_minor` THEN 'refunded' ELSE 'paid' END ELSE `status` END,
        `refunded_minor` = `refunded_minor` + refunded,
        `refund_reserved_minor` = `refund_reserved_minor` + reserved
      WHERE `id` = NEW.`order_id`;
  END IF;
  IF refunded <> 0 THEN
    INSERT INTO `order_slots` (`slot`, `currency`, `refunds_minor`)
      VALUES (TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', NEW.`created_at`) DIV 900, NEW.`currency`, refunded)
      ON DUPLICATE KEY UPDATE `refunds_minor` = `refunds_minor` + refunded;
  END IF;
END;
--> statement-breakpoint
CREATE TRIGGER `refunds_after_delete` AFTER DELETE ON `refunds` FOR EACH ROW
BEGIN
  DECLARE refunded BIGINT DEFAULT CASE WHEN OLD.`applies_to_order` AND OLD.`status` = 'succeeded' THEN OLD.`amount_minor` ELSE 0 END;
  DECLARE reserved BIGINT DEFAULT CASE WHEN OLD.`applies_to_order` AND OLD.`status` = 'pending' THEN OLD.`amount_minor` ELSE 0 END;
  UPDATE `orders` SET
      `status` = CASE WHEN `status` IN ('paid', 'refunded') THEN
        CASE WHEN `refunded_minor` - refunded >= `amount_minor` THEN 'refunded' ELSE 'paid' END ELSE `status` END,
      `refunded_minor` = `refunded_minor` - refunded,
      `refund_reserved_minor` = `refund_reserved_minor` - reserved,
      `refund_count` = `refund_count` - 1
    WHERE `id` = OLD.`order_id`;
  IF refunded <> 0 THEN
    UPDATE `order_slots` SET `refunds_minor` = `refunds_minor` - refunded
      WHERE `slot` = TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', OLD.`created_at`) DIV 900 AND `currency` = OLD.`currency`;
  END IF;
END;
--> statement-breakpoint
DROP TRIGGER `orders_totals_after_update`;
--> statement-breakpoint
-- PRECEDES keeps the order of 0002/0006 (totals, then slots) that inserts also follow: two statements taking
-- the same rows' locks in opposite orders deadlock under concurrent purchases.
CREATE TRIGGER `orders_totals_after_update` AFTER UPDATE ON `orders` FOR EACH ROW PRECEDES `orders_slots_after_update`
BEGIN
  IF NOT (OLD.`status` <=> NEW.`status`) OR NOT (OLD.`currency` <=> NEW.`currency`) OR NOT (OLD.`amount_minor` <=> NEW.`amount_minor`) OR NOT (OLD.`refunded_minor` <=> NEW.`refunded_minor`) THEN
    UPDATE `order_totals` SET `orders` = `orders` - 1, `amount_minor` = `amount_minor` - OLD.`amount_minor`,
        `refunded_minor` = `refunded_minor` - OLD.`refunded_minor`
      WHERE `currency` = OLD.`currency` AND `status` = OLD.`status`;
    INSERT INTO `order_totals` (`currency`, `status`, `orders`, `amount_minor`, `refunded_minor`)
      VALUES (NEW.`currency`, NEW.`status`, 1, NEW.`amount_minor`, NEW.`refunded_minor`)
      ON DUPLICATE KEY UPDATE `orders` = `orders` + 1, `amount_minor` = `amount_minor` + NEW.`amount_minor`,
        `refunded_minor` = `refunded_minor` + NEW.`refunded_minor`;
  END IF;
END;
--> statement-breakpoint
DROP TRIGGER `orders_totals_after_delete`;
--> statement-breakpoint
CREATE TRIGGER `orders_totals_after_delete` AFTER DELETE ON `orders` FOR EACH ROW PRECEDES `orders_slots_after_delete`
  UPDATE `order_totals` SET `orders` = `orders` - 1, `amount_minor` = `amount_minor` - OLD.`amount_minor`,
      `refunded_minor` = `refunded_minor` - OLD.`refunded_minor`
    WHERE `currency` = OLD.`currency` AND `status` = OLD.`status`;
