CREATE TABLE `product_running` (
	`currency` text NOT NULL,
	`product_id` integer NOT NULL,
	`day_slot` integer NOT NULL,
	`paid_orders` integer NOT NULL,
	`quantity` integer NOT NULL,
	`revenue_minor` integer NOT NULL,
	PRIMARY KEY(`currency`, `product_id`, `day_slot`)
);
--> statement-breakpoint
CREATE INDEX `product_running_day_slot` ON `product_running` (`day_slot`);--> statement-breakpoint
CREATE TABLE `rollup_marks` (
	`name` text PRIMARY KEY NOT NULL,
	`day_slot` integer NOT NULL
);
