import type { RiskRule } from '../rule';
import { formatList } from '../statements';

/**
 * What the changed principal can reach after the change, judged on all of its policies, its groups' and its
 * permissions boundary (see `src/domain/escalation`): a path the change opened to administrator is critical, one
 * limited by resources or conditions high. Paths open before the change are not this change's doing and stay out.
 */
export const escalationPath: RiskRule = {
  id: 'escalation-path',
  level: 'critical',
  description:
    'After the change, the changed principal can reach administrator through a known privilege-escalation method (single actions or combinations) it could not use before.',
  evaluate(_change, context) {
    const check = context.escalation;
    if (check?.state !== 'done' || check.opened.length === 0) return null;
    const sure = check.opened.filter((path) => path.reach === 'yes');
    const listed = (sure.length > 0 ? sure : check.opened).map(
      (path) => `${path.actions.join(' + ')} (${path.how})`,
    );
    if (sure.length > 0) {
      return {
        level: 'critical',
        reason: `${check.principal} can now reach administrator through ${formatList(listed, 2)}`,
      };
    }
    const why = check.opened[0]?.why[0];
    return {
      level: 'high',
      reason: `${check.principal} can now reach administrator through ${formatList(listed, 2)}, where ${why ?? 'limited by resources or conditions'}`,
    };
  },
};
