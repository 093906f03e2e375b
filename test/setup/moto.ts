/**
 * Vitest global setup: makes sure the run has a moto_server before any test file starts (see `locate-moto.ts`)
 * and hands its path to every test file and every process they start as `MOTO_SERVER`. Without one the run stops
 * here with one line saying how to get it.
 */
import { resolve } from 'node:path';
import { MOTO_SERVER_ENV } from '../../src/local/moto';
import { locateMotoServer, machineMotoDeps } from './locate-moto';

const ROOT = resolve(import.meta.dirname, '..', '..');

export default async function setup(): Promise<void> {
  const location = await locateMotoServer(machineMotoDeps(ROOT));
  if (!location.ok) {
    process.stderr.write(`${location.line}\n`);
    // One line, not a stack trace from every file that needs the emulator.
    process.exit(1);
  }
  if (location.source === 'installed')
    process.stderr.write(`moto_server installed: ${location.executable}\n`);
  // Test workers are forked after the global setup and inherit this process's environment.
  process.env[MOTO_SERVER_ENV] = location.executable;
}
