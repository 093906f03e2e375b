/**
 * The whole bot on a laptop in a browser, for the end-to-end tests: the local runtime with its own moto_server and
 * the sandbox page open in Debian's Chromium (playwright-core, never a downloaded browser). One set-up for every
 * such test; each test drives the page and stops it all with `stop()`.
 */
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../src/local/runtime';
import { localRuntimeEnv } from './moto';

/** Where Debian's package puts Chromium. */
export const CHROMIUM = '/usr/bin/chromium';

/** A running runtime and the page driving it. */
export interface BrowserRuntime {
  runtime: LocalRuntime;
  page: Page;
  /** Uncaught errors of the page's own script: a test ends by expecting none. */
  pageErrors: string[];
  stop(): Promise<void>;
}

/** Debian's Chromium, or a failure saying how to get it: in CI and locally alike, these tests never skip. */
async function requireChromium(): Promise<void> {
  try {
    await access(CHROMIUM);
  } catch {
    const where = process.env.CI ? 'CI must install it' : 'install it';
    throw new Error(`Chromium is not at ${CHROMIUM}: ${where} with apt-get install chromium`);
  }
}

/**
 * Starts the local runtime on moto (with `env` added to the test environment, and `options` to its own) and
 * Chromium on a fresh profile, `name` naming their temporary folders.
 */
export async function startBrowserRuntime(
  name: string,
  env: Record<string, string> = {},
  options: Pick<LocalRuntimeOptions, 'askSweepIntervalMs'> = {},
): Promise<BrowserRuntime> {
  await requireChromium();
  const dataDir = await mkdtemp(join(tmpdir(), `iam-changes-${name}-data-`));
  const profileDir = await mkdtemp(join(tmpdir(), `iam-changes-${name}-profile-`));
  let runtime: LocalRuntime | undefined;
  let browser: BrowserContext | undefined;
  const stop = async () => {
    await browser?.close();
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(profileDir, { recursive: true, force: true });
  };
  try {
    runtime = await startLocalRuntime({
      port: 0,
      dataDir,
      moto: true,
      env: { ...localRuntimeEnv(), ...env },
      ...options,
    });
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return { runtime, page, pageErrors, stop };
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}
