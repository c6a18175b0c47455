-- The rules the triggers held now live in the store's transactions (docs/decisions/009-rules-in-transactions.md).
-- The rollups they kept stay as they are: exact, and from now on folded from report_deltas.
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
CREATE TABLE `report_deltas` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`rollup` varchar(16) NOT NULL,
	`currency` char(3) NOT NULL,
	`status` varchar(16) NOT NULL DEFAULT '',
	`slot` int NOT NULL DEFAULT 0,
	`product_id` bigint unsigned NOT NULL DEFAULT 0,
	`orders` int NOT NULL DEFAULT 0,
	`paid_orders` int NOT NULL DEFAULT 0,
	`quantity` int NOT NULL DEFAULT 0,
	`amount_minor` bigint NOT NULL DEFAULT 0,
	`refunded_minor` bigint NOT NULL DEFAULT 0,
	`revenue_minor` bigint NOT NULL DEFAULT 0,
	`refunds_minor` bigint NOT NULL DEFAULT 0,
	CONSTRAINT `report_deltas_id` PRIMARY KEY(`id`)
);
