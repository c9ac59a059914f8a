import { vi } from 'vitest';

// Every Lanczos run that does not name its form takes the device form (see vitest.device.config.ts).
vi.mock('../lanczos-scalars.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../lanczos-scalars.js')>()),
  defaultLanczosScalars: () => 'device',
}));
