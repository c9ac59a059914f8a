import { defineConfig } from 'vite';

// base './': the server mounts dist/ at '/', but relative asset URLs also keep
// the app working behind a reverse proxy under a sub-path.
export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 200 },
});
