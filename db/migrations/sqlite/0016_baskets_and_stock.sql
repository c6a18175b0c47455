-- Baskets and stock: an order's lines in order_items (every existing order becomes its one line), stock and the
-- units unpaid orders hold on products, and where each order's units stand (db/stock.ts).
CREATE TABLE `order_items` (
	`order_id` integer NOT NULL,
	`line` integer NOT NULL,
	`product_id` integer NOT NULL,
	`quantity` integer NOT NULL,
	`unit_price_minor` integer NOT NULL,
	`amount_minor` integer NOT NULL,
	`reserved` integer DEFAULT false NOT NULL,
	PRIMARY KEY(`order_id`, `line`),
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `order_items_order_product` ON `order_items` (`order_id`,`product_id`);--> statement-breakpoint
CREATE INDEX `order_items_product_id` ON `order_items` (`product_id`);--> statement-breakpoint
ALTER TABLE `orders` ADD `item_count` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `stock_state` text DEFAULT 'held' NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `cancel_reason` text;--> statement-breakpoint
CREATE INDEX `orders_stock_state_created_at` ON `orders` (`stock_state`,`created_at`);--> statement-breakpoint
ALTER TABLE `products` ADD `stock` integer;--> statement-breakpoint
ALTER TABLE `products` ADD `stock_reserved` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
INSERT INTO `order_items` (`order_id`, `line`, `product_id`, `quantity`, `unit_price_minor`, `amount_minor`, `reserved`)
  SELECT `id`, 1, `product_id`, `quantity`, `unit_price_minor`, `amount_minor`, false FROM `orders`;--> statement-breakpoint
UPDATE `orders` SET `stock_state` = CASE `status` WHEN 'pending' THEN 'held' WHEN 'cancelled' THEN 'released' ELSE 'sold' END;--> statement-breakpoint
UPDATE `orders` SET `cancel_reason` = 'requested' WHERE `status` = 'cancelled';
