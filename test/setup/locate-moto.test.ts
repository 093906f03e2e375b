import { describe, expect, it } from 'vitest';
import { locateMotoServer, type MotoLocatorDeps } from './locate-moto';

/** A machine where `find` answers `found` and the installer answers `installs`, recording whether it was run. */
function machine(
  found: string | undefined | Error,
  installs: Awaited<ReturnType<MotoLocatorDeps['install']>>,
) {
  const calls = { install: 0 };
  const deps: MotoLocatorDeps = {
    find: async () => {
      if (found instanceof Error) throw found;
      return found;
    },
    install: async () => {
      calls.install += 1;
      return installs;
    },
  };
  return { deps, calls };
}

const NO_INDEX = {
  ok: false as const,
  reason: 'pip install failed: ERROR: No matching distribution found for moto[server]',
};

describe('locateMotoServer', () => {
  it('uses a moto_server it finds and installs nothing', async () => {
    const { deps, calls } = machine('/usr/local/bin/moto_server', NO_INDEX);

    expect(await locateMotoServer(deps)).toEqual({
      ok: true,
      executable: '/usr/local/bin/moto_server',
      source: 'found',
    });
    expect(calls.install).toBe(0);
  });

  it('installs moto into the project venv when none is found, and uses that one', async () => {
    const { deps, calls } = machine(undefined, { ok: true, executable: '/repo/.venv-moto/bin/moto_server' });

    expect(await locateMotoServer(deps)).toEqual({
      ok: true,
      executable: '/repo/.venv-moto/bin/moto_server',
      source: 'installed',
    });
    expect(calls.install).toBe(1);
  });

  it('stops with one line naming the reason and how to install when the install fails', async () => {
    const { deps } = machine(undefined, NO_INDEX);

    const location = await locateMotoServer(deps);

    expect(location.ok).toBe(false);
    if (location.ok) return;
    expect(location.line).not.toContain('\n');
    expect(location.line).toContain('No matching distribution found');
    expect(location.line).toContain("pip install 'moto[server]'");
    expect(location.line).toContain('MOTO_SERVER');
  });

  it('stops on a MOTO_SERVER that is no executable, without installing another moto behind its back', async () => {
    const { deps, calls } = machine(new Error('MOTO_SERVER=/nowhere/moto_server is not an executable file'), {
      ok: true,
      executable: '/repo/.venv-moto/bin/moto_server',
    });

    const location = await locateMotoServer(deps);

    expect(location).toEqual({
      ok: false,
      line: expect.stringContaining('MOTO_SERVER=/nowhere/moto_server'),
    });
    expect(calls.install).toBe(0);
  });
});
