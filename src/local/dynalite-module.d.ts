/**
 * dynalite ships no types: the part of its API the local runtime and the tests use. (Not `dynalite.d.ts`: beside a
 * `dynalite.ts`, tsc would take it for that file's declaration output and leave it out of the program.)
 */
declare module 'dynalite' {
  import type { Server } from 'node:http';

  export interface DynaliteOptions {
    /** Where LevelDB keeps its files; in memory when absent. */
    path?: string;
    /** Delays (ms) before a table becomes ACTIVE, is deleted or updated; 0 makes tests fast. */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    ssl?: boolean;
    verbose?: boolean;
    debug?: boolean;
  }

  /** An HTTP server speaking the DynamoDB API; call `listen` to start it. Its `close` also closes LevelDB. */
  export default function dynalite(options?: DynaliteOptions): Server;
}
