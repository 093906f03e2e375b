import type { EscalationMethod } from '../method';
import { addUserToGroup } from './add-user-to-group';
import { attachGroupPolicy } from './attach-group-policy';
import { attachRolePolicy } from './attach-role-policy';
import { attachUserPolicy } from './attach-user-policy';
import { createAccessKey } from './create-access-key';
import { createLoginProfile } from './create-login-profile';
import { createPolicyVersion } from './create-policy-version';
import { passRoleCloudFormation } from './pass-role-cloudformation';
import { passRoleCodeBuild } from './pass-role-codebuild';
import { passRoleDataPipeline } from './pass-role-data-pipeline';
import { passRoleEc2 } from './pass-role-ec2';
import { passRoleGlueDevEndpoint } from './pass-role-glue-dev-endpoint';
import { passRoleLambdaEventSource } from './pass-role-lambda-event-source';
import { passRoleLambdaInvoke } from './pass-role-lambda-invoke';
import { passRoleSageMakerNotebook } from './pass-role-sagemaker-notebook';
import { putGroupPolicy } from './put-group-policy';
import { putRolePolicy } from './put-role-policy';
import { putUserPolicy } from './put-user-policy';
import { setDefaultPolicyVersion } from './set-default-policy-version';
import { ssmSendCommand } from './ssm-send-command';
import { updateAssumeRolePolicy } from './update-assume-role-policy';
import { updateFunctionCode } from './update-function-code';
import { updateGlueDevEndpoint } from './update-glue-dev-endpoint';
import { updateLoginProfile } from './update-login-profile';

/**
 * Every known escalation method, one module each. Single-action methods that hand out IAM itself come first, so
 * a capped list leads with the most telling names.
 */
export const ESCALATION_METHODS: readonly EscalationMethod[] = [
  createPolicyVersion,
  setDefaultPolicyVersion,
  passRoleEc2,
  createAccessKey,
  createLoginProfile,
  updateLoginProfile,
  attachUserPolicy,
  attachGroupPolicy,
  attachRolePolicy,
  putUserPolicy,
  putGroupPolicy,
  putRolePolicy,
  addUserToGroup,
  updateAssumeRolePolicy,
  passRoleLambdaInvoke,
  passRoleLambdaEventSource,
  updateFunctionCode,
  passRoleGlueDevEndpoint,
  updateGlueDevEndpoint,
  passRoleCloudFormation,
  passRoleDataPipeline,
  passRoleCodeBuild,
  passRoleSageMakerNotebook,
  ssmSendCommand,
];
