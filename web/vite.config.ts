import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `make dev`: Vite serves the SPA with hot reload and forwards API calls to `app run`.
const api = process.env.FOLIO_API_URL ?? "http://127.0.0.1:8000";
const forward = { target: api, changeOrigin: true };

export default defineConfig({
  plugins: [react()],
  server: {
    port: Number(process.env.VITE_PORT ?? 5173),
    proxy: { "/api": forward, "/health": forward, "/schema": forward },
  },
  build: {
    outDir: "dist",
    assetsDir: "assets",
    sourcemap: false,
    target: "es2022",
  },
});
