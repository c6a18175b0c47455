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
DROP TRIGGER IF EXISTS `orders_slots_after_insert_paid`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `orders_slots_after_update_created`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `orders_slots_after_update_unpaid`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `orders_slots_after_update_paid`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `orders_slots_after_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `orders_slots_after_delete_paid`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `refunds_before_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `refunds_after_insert`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `refunds_after_insert_succeeded`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `refunds_after_update`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `refunds_after_update_succeeded`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `refunds_after_update_unsucceeded`;
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
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`rollup` text NOT NULL,
	`currency` text NOT NULL,
	`status` text DEFAULT '' NOT NULL,
	`slot` integer DEFAULT 0 NOT NULL,
	`product_id` integer DEFAULT 0 NOT NULL,
	`orders` integer DEFAULT 0 NOT NULL,
	`paid_orders` integer DEFAULT 0 NOT NULL,
	`quantity` integer DEFAULT 0 NOT NULL,
	`amount_minor` integer DEFAULT 0 NOT NULL,
	`refunded_minor` integer DEFAULT 0 NOT NULL,
	`revenue_minor` integer DEFAULT 0 NOT NULL,
	`refunds_minor` integer DEFAULT 0 NOT NULL
);
