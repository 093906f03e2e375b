import type { RiskRule } from '../rule';
import { allowNotAction } from './allow-not-action';
import { credentialsForAnotherUser } from './credentials-for-another-user';
import { defaultVersionSwitch } from './default-version-switch';
import { denyRemoved } from './deny-removed';
import { escalationPath } from './escalation-path';
import { externalAccountTrust } from './external-account-trust';
import { failedWrite } from './failed-write';
import { fullAdminStatement } from './full-admin-statement';
import { inlinePolicyWildcardResource } from './inline-policy-wildcard-resource';
import { managedPolicyUnknown } from './managed-policy-unknown';
import { mfaDeactivated } from './mfa-deactivated';
import { noMfaHuman } from './no-mfa-human';
import { oidcTrustUnrestricted } from './oidc-trust-unrestricted';
import { permissionsBoundaryRemoved } from './permissions-boundary-removed';
import { privilegeEscalationActions } from './privilege-escalation-actions';
import { publicTrust } from './public-trust';
import { rootActor } from './root-actor';
import { unreadableDocument } from './unreadable-document';
import { wideActionGrant } from './wide-action-grant';

/**
 * Every risk rule, most severe first. Within a level this order is the order reasons are shown in, so the
 * rules a responder acts on first come first.
 */
export const RISK_RULES: readonly RiskRule[] = [
  fullAdminStatement,
  escalationPath,
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
  wideActionGrant,
  managedPolicyUnknown,
  inlinePolicyWildcardResource,
  unreadableDocument,
];
