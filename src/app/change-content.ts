/**
 * What a change grants, made ready for judging: the document of the managed policy it names (resolved through
 * {@link PolicyDocumentResolver}) and the action catalogue for the services its documents touch (loaded only when
 * a wildcard or `NotAction` needs expanding). Both are best effort: a change is never held back by them, and what
 * could not be found is said in the change (an unknown document) or left to wildcard matching (no catalogue).
 */
import type { ActionCatalogue } from '../domain/actions';
import { documentsOf } from '../domain/risk/statements';
import type { Change, Statement } from '../domain/types';
import type { PolicyDocumentResolver, PolicyReadMemo } from './policy-documents';

/** Loads the catalogue's services a set of statements can touch. */
export interface ActionCatalogueLoader {
  forStatements(statements: readonly Statement[]): Promise<ActionCatalogue>;
}

/** A change with what judging it needs beyond the record. */
export interface PreparedChange {
  change: Change;
  actions?: ActionCatalogue;
}

function hidesActions(statement: Statement): boolean {
  return (
    statement.NotAction !== undefined || (statement.Action ?? []).some((pattern) => /[*?]/.test(pattern))
  );
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** Prepares changes for judging. */
export class ChangeContent {
  constructor(
    private readonly deps: {
      policies?: Pick<PolicyDocumentResolver, 'resolve'>;
      actions?: ActionCatalogueLoader;
      log?: (message: string, details?: Record<string, unknown>) => void;
    },
  ) {}

  /**
   * The change with its attached policy's document, and the catalogue its documents need. `reads`: the search it is
   * part of (a history query), so a policy named by many of its records is read from IAM once.
   */
  async prepare(change: Change, reads?: PolicyReadMemo): Promise<PreparedChange> {
    const resolved = this.deps.policies ? await this.deps.policies.resolve(change, reads) : change;
    const statements = documentsOf(resolved, 'permissions').flatMap((document) => document.Statement);
    if (!this.deps.actions || !statements.some(hidesActions)) return { change: resolved };
    try {
      return { change: resolved, actions: await this.deps.actions.forStatements(statements) };
    } catch (error: unknown) {
      // Judged without counts: the rules fall back to matching the actions they ask about.
      this.deps.log?.('action catalogue not loaded', { eventId: change.eventId, error: message(error) });
      return { change: resolved };
    }
  }
}
