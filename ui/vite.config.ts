import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  plugins: [preact()],
  // `bun run build:ui` (ui/build.ts) chooses the folder; the manifest names the build's own files for the budget.
  build: { outDir: "dist", emptyOutDir: true, assetsDir: "assets", target: "es2020", manifest: true },
  server: {
    port: 5173,
    // APP_URL (where Stripe sends customers back) names this port, so never drift to another one.
    strictPort: true,
    // The API, the admin pages and the product pictures are the server's: this port shows them too, so
    // localhost:5173/admin is the admin, not the site's "Page not found".
    proxy: Object.fromEntries(
      ["/api", "/admin", "/media"].map((path) => [path, process.env.API_ORIGIN ?? "http://127.0.0.1:3000"]),
    ),
  },
});
