CREATE TABLE `order_slots` (
	`slot` integer NOT NULL,
	`currency` text NOT NULL,
	`orders` integer DEFAULT 0 NOT NULL,
	`paid_orders` integer DEFAULT 0 NOT NULL,
	`revenue_minor` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`slot`, `currency`)
);
--> statement-breakpoint
CREATE TABLE `product_slots` (
	`slot` integer NOT NULL,
	`product_id` integer NOT NULL,
	`currency` text NOT NULL,
	`paid_orders` integer DEFAULT 0 NOT NULL,
	`quantity` integer DEFAULT 0 NOT NULL,
	`revenue_minor` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`slot`, `product_id`, `currency`)
);
