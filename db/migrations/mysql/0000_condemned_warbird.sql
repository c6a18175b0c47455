CREATE TABLE `orders` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`product_id` bigint unsigned NOT NULL,
	`quantity` int NOT NULL,
	`unit_price_minor` int NOT NULL,
	`amount_minor` bigint NOT NULL,
	`currency` char(3) NOT NULL,
	`status` varchar(16) NOT NULL DEFAULT 'pending',
	`created_at` datetime(3) NOT NULL,
	`paid_at` datetime(3),
	`payment_session_id` varchar(255),
	`payment_session_expires_at` datetime(3),
	`payment_intent_id` varchar(255),
	`payment_status` varchar(32) NOT NULL DEFAULT 'unpaid',
	`crm_sync_status` varchar(16) NOT NULL DEFAULT 'pending',
	`crm_attempts` int NOT NULL DEFAULT 0,
	`crm_last_error` varchar(500),
	`crm_next_attempt_at` datetime(3),
	`crm_claimed_until` datetime(3),
	`crm_reference` varchar(255),
	`crm_synced_at` datetime(3),
	CONSTRAINT `orders_id` PRIMARY KEY(`id`),
	CONSTRAINT `orders_payment_session_id` UNIQUE(`payment_session_id`)
);
--> statement-breakpoint
CREATE TABLE `products` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`name` varchar(200) NOT NULL,
	`description` text NOT NULL,
	`price_minor` int NOT NULL,
	`currency` char(3) NOT NULL,
	`active` boolean NOT NULL DEFAULT true,
	`created_at` datetime(3) NOT NULL,
	`updated_at` datetime(3) NOT NULL,
	CONSTRAINT `products_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`email` varchar(254) NOT NULL,
	`name` varchar(120) NOT NULL DEFAULT '',
	`password_hash` varchar(255) NOT NULL,
	`role` varchar(16) NOT NULL DEFAULT 'customer',
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `users_id` PRIMARY KEY(`id`),
	CONSTRAINT `users_email_unique` UNIQUE(`email`)
);
--> statement-breakpoint
ALTER TABLE `orders` ADD CONSTRAINT `orders_user_id_users_id_fk` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `orders` ADD CONSTRAINT `orders_product_id_products_id_fk` FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `orders_user_id_id` ON `orders` (`user_id`,`id`);--> statement-breakpoint
CREATE INDEX `orders_product_id` ON `orders` (`product_id`);--> statement-breakpoint
CREATE INDEX `orders_status_created` ON `orders` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `orders_crm_due` ON `orders` (`crm_next_attempt_at`);--> statement-breakpoint
CREATE INDEX `products_active_id` ON `products` (`active`,`id`);