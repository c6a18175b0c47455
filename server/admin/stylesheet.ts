import { textAsset } from "../http/text-assets.ts";
import css from "./admin.css" with { type: "text" };

/** The admin pages' one stylesheet, linked from every page and cached by browsers for a year. */
export const ADMIN_STYLESHEET = textAsset("/admin/static", "admin.css", css);
