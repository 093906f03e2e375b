import type { RiskRule } from '../rule';
import { adminManagedPolicy } from './admin-managed-policy';
import { allowNotAction } from './allow-not-action';
import { credentialsForAnotherUser } from './credentials-for-another-user';
import { defaultVersionSwitch } from './default-version-switch';
import { denyRemoved } from './deny-removed';
import { externalAccountTrust } from './external-account-trust';
import { failedWrite } from './failed-write';
import { fullAdminStatement } from './full-admin-statement';
import { inlinePolicyWildcardResource } from './inline-policy-wildcard-resource';
import { mfaDeactivated } from './mfa-deactivated';
import { noMfaHuman } from './no-mfa-human';
import { oidcTrustUnrestricted } from './oidc-trust-unrestricted';
import { permissionsBoundaryRemoved } from './permissions-boundary-removed';
import { privilegeEscalationActions } from './privilege-escalation-actions';
import { publicTrust } from './public-trust';
import { rootActor } from './root-actor';
import { unreadableDocument } from './unreadable-document';

/**
 * Every risk rule, most severe first. Within a level this order is the order reasons are shown in, so the
 * rules a responder acts on first come first.
 */
export const RISK_RULES: readonly RiskRule[] = [
  adminManagedPolicy,
  fullAdminStatement,
  publicTrust,
  externalAccountTrust,
  oidcTrustUnrestricted,
  rootActor,
  privilegeEscalationActions,
  allowNotAction,
  denyRemoved,
  permissionsBoundaryRemoved,
  credentialsForAnotherUser,
  mfaDeactivated,
  failedWrite,
  defaultVersionSwitch,
  noMfaHuman,
  inlinePolicyWildcardResource,
  unreadableDocument,
];
