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
import type { Change } from '../../src/domain/types';
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

/** An attach of AdministratorAccess with the document the catalogue gives it (`*` on `*`), as notify resolves it. */
export function withAdministratorDocument<T extends Change>(change: T): T {
  const policyArn = String(
    change.requestParameters?.policyArn ?? 'arn:aws:iam::aws:policy/AdministratorAccess',
  );
  return {
    ...change,
    managedPolicy: {
      policyArn,
      use: 'attached',
      source: 'catalogue',
      document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'] }] },
    },
  };
}
