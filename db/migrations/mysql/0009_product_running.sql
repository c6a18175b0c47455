CREATE TABLE `product_running` (
	`currency` char(3) NOT NULL,
	`product_id` bigint unsigned NOT NULL,
	`day_slot` int NOT NULL,
	`paid_orders` bigint NOT NULL,
	`quantity` bigint NOT NULL,
	`revenue_minor` bigint NOT NULL,
	CONSTRAINT `product_running_currency_product_id_day_slot_pk` PRIMARY KEY(`currency`,`product_id`,`day_slot`)
);
--> statement-breakpoint
CREATE TABLE `rollup_marks` (
	`name` varchar(32) NOT NULL,
	`day_slot` int NOT NULL,
	CONSTRAINT `rollup_marks_name` PRIMARY KEY(`name`)
);
--> statement-breakpoint
CREATE INDEX `product_running_day_slot` ON `product_running` (`day_slot`);