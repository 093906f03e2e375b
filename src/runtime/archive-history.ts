/**
 * The organisation trail's S3 log archive as `/iam-changes` history (`HISTORY_BUCKET`, `HISTORY_PREFIX`): the
 * `scan` use case on `S3TrailArchive`, bounded for the worker's time. The S3 client and the scan code load with
 * the first search, so the Slack function (which only asks whether a search is needed) never loads them.
 */

import type { ChangeContent } from '../app/change-content';
import type { ArchiveHistory } from '../app/query-port';
import type { Config } from '../config';
import type { RiskContext } from '../domain/risk/rule';
import type { AssessedChange } from '../domain/types';
import { lazily } from './on-demand';

/** Files one search reads at most (a day of an organisation's trail in one region is hundreds of files). */
export const ARCHIVE_MAX_FILES = 3000;

/** How long one search may read: the worker has 300 s for the whole job, answer included. */
export const ARCHIVE_SEARCH_SECONDS = 200;

/** Files read at once by a search. */
const ARCHIVE_CONCURRENCY = 8;

/** The archive of the configuration, or undefined when none is configured. */
export function archiveHistoryOf(
  config: Config,
  risk: RiskContext,
  content?: Pick<ChangeContent, 'prepare'>,
): ArchiveHistory | undefined {
  const history = config.history;
  if (!history) return undefined;
  const location = `s3://${history.bucket}/${history.prefix}`;
  const archive = lazily(async () => {
    const { S3TrailArchive, createS3Client } = await import('../aws/s3-trail-archive');
    return new S3TrailArchive(createS3Client(undefined, Boolean(config.awsEndpointUrl)), location);
  });
  return {
    location,
    async search(window, searchOptions) {
      const { scanArchive } = await import('../app/archive-scan');
      const changes: AssessedChange[] = [];
      const report = await scanArchive(
        await archive(),
        { since: window.start, until: window.end },
        {
          risk,
          ...(content ? { content } : {}),
          ...(searchOptions?.reads ? { reads: searchOptions.reads } : {}),
          concurrency: ARCHIVE_CONCURRENCY,
          maxFiles: ARCHIVE_MAX_FILES,
          deadline: Date.now() + ARCHIVE_SEARCH_SECONDS * 1000,
          onChange: (change) => {
            changes.push(change);
          },
        },
      );
      return {
        changes,
        summary: {
          location: report.location,
          files: report.files,
          bytes: report.bytes,
          skippedFiles: report.skippedFiles.length,
          truncated: report.truncated,
        },
      };
    },
  };
}
