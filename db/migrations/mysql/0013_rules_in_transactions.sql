-- The rules the triggers held now live in the store (docs/decisions/009-rules-in-transactions.md). The
-- rollups they kept are exact and stay; every order and refund already in them is marked as counted.
DROP TRIGGER IF EXISTS `orders_totals_after_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `orders_totals_after_update`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `orders_totals_after_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `orders_slots_after_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `orders_slots_after_update`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `orders_slots_after_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `refunds_before_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `refunds_after_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `refunds_after_update`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `refunds_after_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `product_slots_mark_after_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `product_slots_mark_after_update`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `products_count_after_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `products_count_after_update`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `products_count_after_delete`;
--> statement-breakpoint
ALTER TABLE `orders` ADD `report_pending` boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `reported_status` varchar(16);--> statement-breakpoint
ALTER TABLE `orders` ADD `reported_paid_at` datetime(3);--> statement-breakpoint
ALTER TABLE `orders` ADD `reported_refunded_minor` bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `refunds` ADD `report_pending` boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `refunds` ADD `reported_status` varchar(16);--> statement-breakpoint
CREATE INDEX `orders_report_pending_id` ON `orders` (`report_pending`,`id`);--> statement-breakpoint
CREATE INDEX `refunds_report_pending_id` ON `refunds` (`report_pending`,`id`);
--> statement-breakpoint
UPDATE `orders` SET `report_pending` = false, `reported_status` = `status`, `reported_paid_at` = `paid_at`, `reported_refunded_minor` = `refunded_minor`;
--> statement-breakpoint
UPDATE `refunds` SET `report_pending` = false, `reported_status` = `status`;
