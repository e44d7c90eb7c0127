import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The gateway serves dist/ on the same origin as /v1; in development Vite
// forwards /v1 to a running gateway (npm start) so cookies stay same-origin.
const gateway = process.env.T50_GATEWAY_URL ?? 'http://127.0.0.1:4000';

export default defineConfig({
  plugins: [react()],
  server: { port: 5173, proxy: { '/v1': gateway } },
  preview: { port: 4173, proxy: { '/v1': gateway } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
});
