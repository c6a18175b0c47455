-- Baskets and stock: an order's lines in order_items (every existing order becomes its one line), stock and the
-- units unpaid orders hold on products, and where each order's units stand (db/stock.ts).
CREATE TABLE `order_items` (
	`order_id` bigint unsigned NOT NULL,
	`line` int NOT NULL,
	`product_id` bigint unsigned NOT NULL,
	`quantity` int NOT NULL,
	`unit_price_minor` int NOT NULL,
	`amount_minor` bigint NOT NULL,
	`reserved` boolean NOT NULL DEFAULT false,
	CONSTRAINT `order_items_order_id_line_pk` PRIMARY KEY(`order_id`,`line`),
	CONSTRAINT `order_items_order_product` UNIQUE(`order_id`,`product_id`)
);
--> statement-breakpoint
ALTER TABLE `orders` ADD `item_count` int DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `stock_state` varchar(16) DEFAULT 'held' NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `cancel_reason` varchar(16);--> statement-breakpoint
ALTER TABLE `products` ADD `stock` int;--> statement-breakpoint
ALTER TABLE `products` ADD `stock_reserved` int DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `order_items` ADD CONSTRAINT `order_items_order_id_orders_id_fk` FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `order_items` ADD CONSTRAINT `order_items_product_id_products_id_fk` FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `order_items_product_id` ON `order_items` (`product_id`);--> statement-breakpoint
CREATE INDEX `orders_stock_state_created_at` ON `orders` (`stock_state`,`created_at`);--> statement-breakpoint
INSERT INTO `order_items` (`order_id`, `line`, `product_id`, `quantity`, `unit_price_minor`, `amount_minor`, `reserved`)
  SELECT `id`, 1, `product_id`, `quantity`, `unit_price_minor`, `amount_minor`, false FROM `orders`;--> statement-breakpoint
UPDATE `orders` SET `stock_state` = CASE `status` WHEN 'pending' THEN 'held' WHEN 'cancelled' THEN 'released' ELSE 'sold' END;--> statement-breakpoint
UPDATE `orders` SET `cancel_reason` = 'requested' WHERE `status` = 'cancelled';
