DROP INDEX `orders_status_created` ON `orders`;--> statement-breakpoint
CREATE INDEX `orders_status_id` ON `orders` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `orders_crm_status_id` ON `orders` (`crm_sync_status`,`id`);