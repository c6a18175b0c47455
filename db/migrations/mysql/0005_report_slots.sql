CREATE TABLE `order_slots` (
	`slot` int NOT NULL,
	`currency` char(3) NOT NULL,
	`orders` int NOT NULL DEFAULT 0,
	`paid_orders` int NOT NULL DEFAULT 0,
	`revenue_minor` bigint NOT NULL DEFAULT 0,
	CONSTRAINT `order_slots_slot_currency_pk` PRIMARY KEY(`slot`,`currency`)
);
--> statement-breakpoint
CREATE TABLE `product_slots` (
	`slot` int NOT NULL,
	`product_id` bigint unsigned NOT NULL,
	`currency` char(3) NOT NULL,
	`paid_orders` int NOT NULL DEFAULT 0,
	`quantity` int NOT NULL DEFAULT 0,
	`revenue_minor` bigint NOT NULL DEFAULT 0,
	CONSTRAINT `product_slots_slot_product_id_currency_pk` PRIMARY KEY(`slot`,`product_id`,`currency`)
);
