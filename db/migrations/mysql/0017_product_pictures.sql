-- Product pictures: the uploaded file's SHA-256, which names its WebP versions in MEDIA_DIR, and the largest one's size.
ALTER TABLE `products` ADD `image_hash` char(64);--> statement-breakpoint
ALTER TABLE `products` ADD `image_width` int;--> statement-breakpoint
ALTER TABLE `products` ADD `image_height` int;--> statement-breakpoint
CREATE INDEX `products_image_hash` ON `products` (`image_hash`);