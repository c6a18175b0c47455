CREATE TABLE `refunds` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`order_id` bigint unsigned NOT NULL,
	`stripe_refund_id` varchar(255),
	`attempt_key` varchar(100),
	`payment_intent_id` varchar(255) NOT NULL,
	`applies_to_order` boolean NOT NULL,
	`amount_minor` bigint NOT NULL,
	`currency` char(3) NOT NULL,
	`status` varchar(16) NOT NULL,
	`reason` varchar(32),
	`failure` varchar(500),
	`created_at` datetime(3) NOT NULL,
	`updated_at` datetime(3) NOT NULL,
	`crm_sync_status` varchar(16),
	`crm_attempts` int NOT NULL DEFAULT 0,
	`crm_last_error` varchar(500),
	`crm_next_attempt_at` datetime(3),
	`crm_claimed_until` datetime(3),
	`crm_reference` varchar(255),
	`crm_synced_at` datetime(3),
	CONSTRAINT `refunds_id` PRIMARY KEY(`id`),
	CONSTRAINT `refunds_stripe_refund_id` UNIQUE(`stripe_refund_id`),
	CONSTRAINT `refunds_attempt_key` UNIQUE(`attempt_key`)
);
--> statement-breakpoint
ALTER TABLE `order_slots` ADD `refunds_minor` bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `order_totals` ADD `refunded_minor` bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `refunded_minor` bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `refund_reserved_minor` bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `refund_count` int DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `cancelled_at` datetime(3);--> statement-breakpoint
ALTER TABLE `refunds` ADD CONSTRAINT `refunds_order_id_orders_id_fk` FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `refunds_order_id_id` ON `refunds` (`order_id`,`id`);--> statement-breakpoint
CREATE INDEX `refunds_status_created_at` ON `refunds` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `refunds_crm_due` ON `refunds` (`crm_next_attempt_at`);--> statement-breakpoint
CREATE INDEX `orders_payment_intent_id` ON `orders` (`payment_intent_id`);