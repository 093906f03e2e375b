/**
 * How tests judge an attach by what it grants, as notify does: the policy's document from the store when given,
 * else the AWS managed policy catalogue (offline).
 */
import { ChangeContent } from '../../src/app/change-content';
import {
  CataloguePolicyDocuments,
  PolicyDocumentResolver,
  StoredPolicyDocuments,
} from '../../src/app/policy-documents';
import { GeneratedManagedPolicyCatalogue } from '../../src/catalogue/managed-policies';
import type { DynamoChangeStore } from '../../src/store/dynamo-change-store';

/** The content resolver notify is given in tests: the store (when given), then the managed policy catalogue. */
export function catalogueContent(store?: DynamoChangeStore): ChangeContent {
  return new ChangeContent({
    policies: new PolicyDocumentResolver([
      ...(store ? [new StoredPolicyDocuments(store)] : []),
      new CataloguePolicyDocuments(new GeneratedManagedPolicyCatalogue()),
    ]),
  });
}
