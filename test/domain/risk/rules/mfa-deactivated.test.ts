import { describe, expect, it } from 'vitest';
import { mfaDeactivated } from '../../../../src/domain/risk/rules/mfa-deactivated';
import { changeOf } from '../../../support/cloudtrail';
import { NO_CONTEXT } from '../support';

const serialNumber = 'arn:aws:iam::111122223333:mfa/device';

describe('mfa-deactivated', () => {
  it.each([
    {
      behaviour: "flags turning off another user's MFA as high",
      change: changeOf('DeactivateMFADevice', { userName: 'bob', serialNumber }),
      level: 'high',
      reason: 'turns off the MFA device of user bob: their sign-in no longer needs a second factor',
    },
    {
      behaviour: 'reads turning off one’s own MFA as a medium device swap',
      change: changeOf('DeactivateMFADevice', { userName: 'alice', serialNumber }),
      level: 'medium',
      reason: "turns off the caller's own MFA device (alice): usually a device swap",
    },
  ])('$behaviour', ({ change, level, reason }) => {
    expect(mfaDeactivated.evaluate(change, NO_CONTEXT)).toEqual({ level, reason });
  });

  it.each([
    {
      behaviour: 'ignores enabling MFA',
      change: changeOf('EnableMFADevice', { userName: 'bob', serialNumber }),
    },
    {
      behaviour: 'ignores a failed attempt',
      change: changeOf(
        'DeactivateMFADevice',
        { userName: 'bob', serialNumber },
        { errorCode: 'AccessDenied' },
      ),
    },
  ])('$behaviour', ({ change }) => {
    expect(mfaDeactivated.evaluate(change, NO_CONTEXT)).toBeNull();
  });
});
