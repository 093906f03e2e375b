/** The catalogue text the script writes (gzipped) to `src/generated/aws-managed-policies.json.gz`. */
export function buildCatalogueText(): string;
