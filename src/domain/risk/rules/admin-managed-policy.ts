import type { RiskLevel } from '../../types';
import type { RiskRule } from '../rule';
import { requestString, succeeded, targetPhrase } from '../statements';

/** An AWS managed policy that hands out broad power, and why a responder should care. */
interface PowerfulManagedPolicy {
  level: RiskLevel;
  why: string;
}

/** Keyed by the part of the ARN after `policy/` (`AdministratorAccess`, `job-function/SystemAdministrator`). */
export const POWERFUL_MANAGED_POLICIES: Readonly<Record<string, PowerfulManagedPolicy>> = {
  AdministratorAccess: { level: 'critical', why: 'full access to every service' },
  IAMFullAccess: { level: 'critical', why: 'full IAM access: can grant itself anything' },
  PowerUserAccess: {
    level: 'high',
    why: 'full access to every service except most of IAM and Organizations',
  },
  AWSOrganizationsFullAccess: {
    level: 'high',
    why: 'can manage the organization: accounts, service control policies, delegated admins',
  },
  'AdministratorAccess-Amplify': {
    level: 'high',
    why: 'broad administrator access, including creating IAM roles and passing them to services',
  },
  AWSSSOMasterAccountAdministrator: {
    level: 'high',
    why: 'can manage IAM Identity Center permission sets and who gets them in every account',
  },
  'AdministratorAccess-AWSElasticBeanstalk': {
    level: 'high',
    why: 'broad administrator access to the services Elastic Beanstalk runs on, including passing roles',
  },
  AWSLambda_FullAccess: {
    level: 'high',
    why: "can change any Lambda function's code and so act as that function's role",
  },
  AmazonSSMFullAccess: {
    level: 'high',
    why: "can run commands on every managed instance and so act as the instance's role",
  },
  SecretsManagerReadWrite: { level: 'medium', why: 'can read and change every Secrets Manager secret' },
};

const ATTACH_EVENTS = new Set(['AttachRolePolicy', 'AttachUserPolicy', 'AttachGroupPolicy']);

/** `arn:aws:iam::aws:policy/job-function/SystemAdministrator` → `job-function/SystemAdministrator`. */
const AWS_MANAGED_ARN = /^arn:aws[\w-]*:iam::aws:policy\/(.+)$/;

/** Attaching an AWS managed policy that grants administrator or near-administrator power. */
export const adminManagedPolicy: RiskRule = {
  id: 'admin-managed-policy',
  level: 'critical',
  description:
    'Attaching AdministratorAccess or IAMFullAccess (critical), or another AWS managed policy with broad power such as PowerUserAccess (high).',
  evaluate(change) {
    if (!ATTACH_EVENTS.has(change.eventName) || !succeeded(change)) return null;
    const policyArn = change.target.policyArn ?? requestString(change, 'policyArn');
    const key = policyArn ? AWS_MANAGED_ARN.exec(policyArn)?.[1] : undefined;
    const known =
      key && Object.hasOwn(POWERFUL_MANAGED_POLICIES, key) ? POWERFUL_MANAGED_POLICIES[key] : undefined;
    if (!key || !known) return null;
    const name = key.slice(key.lastIndexOf('/') + 1);
    return { level: known.level, reason: `attaches ${name} (${known.why}) to ${targetPhrase(change)}` };
  },
};
