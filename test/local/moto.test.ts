import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMotoServer, MotoStartError } from '../../src/local/moto';
import type { LocalRuntime } from '../../src/local/runtime';
import { runtimeMotoEndpoint } from '../support/moto';

let root: string;

async function executable(path: string): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, '#!/bin/sh\n');
  await chmod(path, 0o755);
  return path;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'iam-changes-find-moto-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('findMotoServer', () => {
  it('takes MOTO_SERVER first, then PATH, then the project venv, else none', async () => {
    const named = await executable(join(root, 'named', 'moto_server'));
    const onPath = await executable(join(root, 'bin', 'moto_server'));
    const project = join(root, 'project');
    const inVenv = await executable(join(project, '.venv-moto', 'bin', 'moto_server'));
    const empty = join(root, 'empty');
    await mkdir(empty);

    expect(await findMotoServer({ MOTO_SERVER: named, PATH: join(root, 'bin') }, project)).toBe(named);
    expect(await findMotoServer({ PATH: join(root, 'bin') }, project)).toBe(onPath);
    expect(await findMotoServer({ PATH: empty }, project)).toBe(inVenv);
    expect(await findMotoServer({ PATH: empty }, empty)).toBeUndefined();
  });

  it('refuses a MOTO_SERVER that is not executable rather than run some other moto', async () => {
    await executable(join(root, 'bin2', 'moto_server'));
    const notExecutable = join(root, 'plain-file');
    await writeFile(notExecutable, 'not a program');

    await expect(
      findMotoServer({ MOTO_SERVER: notExecutable, PATH: join(root, 'bin2') }, root),
    ).rejects.toThrow(MotoStartError);
    await expect(findMotoServer({ MOTO_SERVER: join(root, 'missing') }, root)).rejects.toThrow(
      /is not an executable file/,
    );
  });
});

describe('runtimeMotoEndpoint', () => {
  const runtime = (aws: LocalRuntime['mode']['aws'], url?: string) =>
    ({ mode: { slack: 'sandbox', aws }, urls: url ? { aws: url } : {} }) as unknown as LocalRuntime;

  it("gives a test the runtime's moto endpoint", () => {
    expect(runtimeMotoEndpoint(runtime('moto', 'http://127.0.0.1:40121'))).toBe('http://127.0.0.1:40121');
  });

  it('refuses a runtime without moto, so no test client is built without an endpoint and reaches the real AWS', () => {
    expect(() => runtimeMotoEndpoint(runtime('none'))).toThrow(/not on moto_server \(AWS: none\)/);
    expect(() => runtimeMotoEndpoint(runtime('external', 'https://iam.amazonaws.com'))).toThrow(
      /AWS: external/,
    );
  });
});
