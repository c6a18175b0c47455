CREATE TABLE `refunds` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` integer NOT NULL,
	`stripe_refund_id` text,
	`attempt_key` text,
	`payment_intent_id` text NOT NULL,
	`applies_to_order` integer NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`failure` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`crm_sync_status` text,
	`crm_attempts` integer DEFAULT 0 NOT NULL,
	`crm_last_error` text,
	`crm_next_attempt_at` integer,
	`crm_claimed_until` integer,
	`crm_reference` text,
	`crm_synced_at` integer,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refunds_stripe_refund_id` ON `refunds` (`stripe_refund_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `refunds_attempt_key` ON `refunds` (`attempt_key`);--> statement-breakpoint
CREATE INDEX `refunds_order_id_id` ON `refunds` (`order_id`,`id`);--> statement-breakpoint
CREATE INDEX `refunds_status_created_at` ON `refunds` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `refunds_crm_due` ON `refunds` (`crm_next_attempt_at`);--> statement-breakpoint
ALTER TABLE `order_slots` ADD `refunds_minor` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `order_totals` ADD `refunded_minor` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `refunded_minor` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `refund_reserved_minor` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `refund_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `cancelled_at` integer;--> statement-breakpoint
CREATE INDEX `orders_payment_intent_id` ON `orders` (`payment_intent_id`);