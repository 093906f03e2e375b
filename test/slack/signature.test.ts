import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkSlackSignature,
  SIGNATURE_TOLERANCE_SECONDS,
  type SignatureCheck,
  type SignedSlackRequest,
  signSlackRequest,
} from '../../src/slack/signature';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW_SECONDS = 1_800_000_000;
const NOW = new Date(NOW_SECONDS * 1000);
const BODY = 'token=x&team_id=T1&user_id=U0ALICE&command=%2Fiam-changes&text=status';

/** A request signed with `secret` at `at` (epoch seconds), exactly as Slack would send it. */
function signed(at: number = NOW_SECONDS, body = BODY, secret = SECRET): SignedSlackRequest {
  const timestamp = String(at);
  return { body, timestamp, signature: signSlackRequest(secret, timestamp, body) };
}

/** `BODY` correctly signed under `timestamp` as given, however malformed. */
function signedWithTimestamp(timestamp: string): SignedSlackRequest {
  return { body: BODY, timestamp, signature: signSlackRequest(SECRET, timestamp, BODY) };
}

describe('signSlackRequest', () => {
  it('is v0= and the hex HMAC-SHA256 of v0:<timestamp>:<body> keyed with the signing secret', () => {
    const expected = createHmac('sha256', SECRET).update(`v0:1531420618:${BODY}`).digest('hex');
    expect(signSlackRequest(SECRET, '1531420618', BODY)).toBe(`v0=${expected}`);
  });

  it("matches Slack's documented example signature", () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signSlackRequest(SECRET, '1531420618', body)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('signs an empty body, and the signature checks out', () => {
    const request = signed(NOW_SECONDS, '');
    expect(request.signature).toMatch(/^v0=[0-9a-f]{64}$/);
    expect(checkSlackSignature(request, SECRET, NOW)).toEqual({ ok: true, timestampSeconds: NOW_SECONDS });
  });

  it('gives different signatures for different secrets, timestamps and bodies', () => {
    const base = signSlackRequest(SECRET, '1', 'a');
    expect(
      new Set([
        base,
        signSlackRequest('other', '1', 'a'),
        signSlackRequest(SECRET, '2', 'a'),
        signSlackRequest(SECRET, '1', 'b'),
      ]).size,
    ).toBe(4);
  });
});

describe('checkSlackSignature', () => {
  const good = signed();

  /** Flips one byte of `text` at `index` to another printable character. */
  function flip(text: string, index: number): string {
    const code = text.charCodeAt(index);
    return `${text.slice(0, index)}${String.fromCharCode(code === 0x61 ? 0x62 : 0x61)}${text.slice(index + 1)}`;
  }

  const cases: Array<[string, Partial<SignedSlackRequest>, SignatureCheck]> = [
    ['a good signature', good, { ok: true, timestampSeconds: NOW_SECONDS }],
    [
      'a signature made with another secret',
      signed(NOW_SECONDS, BODY, 'another-secret'),
      { ok: false, problem: 'signature mismatch' },
    ],
    [
      'a body changed by its first byte',
      { ...good, body: flip(BODY, 0) },
      { ok: false, problem: 'signature mismatch' },
    ],
    [
      'a body changed by its last byte',
      { ...good, body: flip(BODY, BODY.length - 1) },
      { ok: false, problem: 'signature mismatch' },
    ],
    [
      'a body with one byte appended',
      { ...good, body: `${BODY}&` },
      { ok: false, problem: 'signature mismatch' },
    ],
    [
      'a body with its last byte removed',
      { ...good, body: BODY.slice(0, -1) },
      { ok: false, problem: 'signature mismatch' },
    ],
    [
      'an empty body under a signature of another',
      { ...good, body: '' },
      { ok: false, problem: 'signature mismatch' },
    ],
    [
      'a timestamp changed by one second',
      { ...good, timestamp: String(NOW_SECONDS - 1) },
      { ok: false, problem: 'signature mismatch' },
    ],
    [
      'a signature with one hex digit changed',
      { ...good, signature: flip(good.signature, 10) },
      { ok: false, problem: 'signature mismatch' },
    ],
    [
      'no body',
      { timestamp: good.timestamp, signature: good.signature },
      { ok: false, problem: 'missing signature headers' },
    ],
    [
      'no timestamp',
      { body: BODY, signature: good.signature },
      { ok: false, problem: 'missing signature headers' },
    ],
    [
      'no signature',
      { body: BODY, timestamp: good.timestamp },
      { ok: false, problem: 'missing signature headers' },
    ],
    ['an empty timestamp', { ...good, timestamp: '' }, { ok: false, problem: 'missing signature headers' }],
    ['an empty signature', { ...good, signature: '' }, { ok: false, problem: 'missing signature headers' }],
    ['nothing at all', {}, { ok: false, problem: 'missing signature headers' }],
    [
      'a timestamp with a letter (12a)',
      signedWithTimestamp('12a'),
      { ok: false, problem: 'malformed timestamp' },
    ],
    ['a negative timestamp (-5)', signedWithTimestamp('-5'), { ok: false, problem: 'malformed timestamp' }],
    [
      'a 13-digit timestamp (milliseconds)',
      signedWithTimestamp(String(NOW_SECONDS * 1000)),
      { ok: false, problem: 'malformed timestamp' },
    ],
    [
      'a 13-digit timestamp of the right value with a leading zero',
      signedWithTimestamp(`000${NOW_SECONDS}`),
      { ok: false, problem: 'malformed timestamp' },
    ],
    [
      'a fractional timestamp',
      signedWithTimestamp(`${NOW_SECONDS}.5`),
      { ok: false, problem: 'malformed timestamp' },
    ],
    [
      'a timestamp with a leading space',
      signedWithTimestamp(` ${NOW_SECONDS}`),
      { ok: false, problem: 'malformed timestamp' },
    ],
    [
      'a timestamp with a trailing newline',
      signedWithTimestamp(`${NOW_SECONDS}\n`),
      { ok: false, problem: 'malformed timestamp' },
    ],
    [
      'a timestamp in exponent notation',
      signedWithTimestamp('18e8'),
      { ok: false, problem: 'malformed timestamp' },
    ],
    [
      'a v1= signature',
      { ...good, signature: good.signature.replace(/^v0=/, 'v1=') },
      { ok: false, problem: 'malformed signature' },
    ],
    [
      'a signature in uppercase hex',
      { ...good, signature: `v0=${good.signature.slice(3).toUpperCase()}` },
      { ok: false, problem: 'malformed signature' },
    ],
    [
      'a signature one hex digit short',
      { ...good, signature: good.signature.slice(0, -1) },
      { ok: false, problem: 'malformed signature' },
    ],
    [
      'a signature one hex digit long',
      { ...good, signature: `${good.signature}0` },
      { ok: false, problem: 'malformed signature' },
    ],
    [
      'a signature without its v0= prefix',
      { ...good, signature: good.signature.slice(3) },
      { ok: false, problem: 'malformed signature' },
    ],
    [
      'a signature with a trailing newline',
      { ...good, signature: `${good.signature}\n` },
      { ok: false, problem: 'malformed signature' },
    ],
    [
      'two signatures joined by a comma',
      { ...good, signature: `${good.signature},${good.signature}` },
      { ok: false, problem: 'malformed signature' },
    ],
  ];

  it.each(cases)('for %s gives %j', (_name, request, expected) => {
    expect(checkSlackSignature(request, SECRET, NOW)).toEqual(expected);
  });

  it.each([
    [
      'exactly 300 s old',
      NOW_SECONDS - SIGNATURE_TOLERANCE_SECONDS,
      { ok: true, timestampSeconds: NOW_SECONDS - 300 },
    ],
    ['301 s old', NOW_SECONDS - SIGNATURE_TOLERANCE_SECONDS - 1, { ok: false, problem: 'timestamp too old' }],
    [
      'exactly 300 s ahead',
      NOW_SECONDS + SIGNATURE_TOLERANCE_SECONDS,
      { ok: true, timestampSeconds: NOW_SECONDS + 300 },
    ],
    [
      '301 s ahead',
      NOW_SECONDS + SIGNATURE_TOLERANCE_SECONDS + 1,
      { ok: false, problem: 'timestamp in the future' },
    ],
    ['an hour ahead', NOW_SECONDS + 3600, { ok: false, problem: 'timestamp in the future' }],
    ['a day old', NOW_SECONDS - 86_400, { ok: false, problem: 'timestamp too old' }],
    ['zero (1970)', 0, { ok: false, problem: 'timestamp too old' }],
  ] as const)('with the default tolerance, a request signed %s gives %j', (_name, at, expected) => {
    expect(checkSlackSignature(signed(at), SECRET, NOW)).toEqual(expected);
  });

  it('counts whole seconds of now: 999 ms past the second does not push the 300 s edge', () => {
    const late = new Date(NOW_SECONDS * 1000 + 999);
    expect(checkSlackSignature(signed(NOW_SECONDS - 300), SECRET, late).ok).toBe(true);
    expect(checkSlackSignature(signed(NOW_SECONDS + 300), SECRET, late).ok).toBe(true);
    expect(checkSlackSignature(signed(NOW_SECONDS - 301), SECRET, late)).toEqual({
      ok: false,
      problem: 'timestamp too old',
    });
  });

  it.each([
    ['10 min old', NOW_SECONDS - 600, { ok: true, timestampSeconds: NOW_SECONDS - 600 }],
    ['exactly 900 s old', NOW_SECONDS - 900, { ok: true, timestampSeconds: NOW_SECONDS - 900 }],
    ['901 s old', NOW_SECONDS - 901, { ok: false, problem: 'timestamp too old' }],
    ['5 min ahead', NOW_SECONDS + 300, { ok: true, timestampSeconds: NOW_SECONDS + 300 }],
    ['6 min ahead', NOW_SECONDS + 360, { ok: false, problem: 'timestamp in the future' }],
    ['10 min ahead', NOW_SECONDS + 600, { ok: false, problem: 'timestamp in the future' }],
  ] as const)('with pastSeconds 900, a request signed %s gives %j', (_name, at, expected) => {
    expect(checkSlackSignature(signed(at), SECRET, NOW, { pastSeconds: 900 })).toEqual(expected);
  });

  it.each([
    ['30 s ahead', NOW_SECONDS + 30, { ok: true, timestampSeconds: NOW_SECONDS + 30 }],
    ['31 s ahead', NOW_SECONDS + 31, { ok: false, problem: 'timestamp in the future' }],
    [
      '300 s old (the past keeps its default)',
      NOW_SECONDS - 300,
      { ok: true, timestampSeconds: NOW_SECONDS - 300 },
    ],
    ['301 s old', NOW_SECONDS - 301, { ok: false, problem: 'timestamp too old' }],
  ] as const)('with futureSeconds 30, a request signed %s gives %j', (_name, at, expected) => {
    expect(checkSlackSignature(signed(at), SECRET, NOW, { futureSeconds: 30 })).toEqual(expected);
  });

  it('with no tolerance either way accepts only a request signed this second', () => {
    const none = { pastSeconds: 0, futureSeconds: 0 };
    expect(checkSlackSignature(signed(NOW_SECONDS), SECRET, NOW, none).ok).toBe(true);
    expect(checkSlackSignature(signed(NOW_SECONDS - 1), SECRET, NOW, none).ok).toBe(false);
    expect(checkSlackSignature(signed(NOW_SECONDS + 1), SECRET, NOW, none).ok).toBe(false);
  });

  it('refuses a stale request for its age even when the signature is also wrong', () => {
    const stale = { ...signed(NOW_SECONDS - 1000), signature: `v0=${'0'.repeat(64)}` };
    expect(checkSlackSignature(stale, SECRET, NOW)).toEqual({ ok: false, problem: 'timestamp too old' });
  });

  it('refuses a good signature checked with an empty secret', () => {
    expect(checkSlackSignature(good, '', NOW)).toEqual({ ok: false, problem: 'signature mismatch' });
  });

  it('says no more than the problem when it refuses (no expected signature leaks)', () => {
    const check = checkSlackSignature({ ...good, body: 'x' }, SECRET, NOW);
    expect(Object.keys(check).sort()).toEqual(['ok', 'problem']);
  });
});
