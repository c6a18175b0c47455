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
    proxy: { "/api": process.env.API_ORIGIN ?? "http://127.0.0.1:3000" },
  },
});
