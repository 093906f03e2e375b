import { describe, expect, it } from 'vitest';
import { startBotEndpoint, toApiGatewayEvent } from '../../src/local/bot-endpoint';

describe('toApiGatewayEvent', () => {
  const request = {
    method: 'POST',
    url: '/slack/events?x=1',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Slack-Signature': 'v0=abc' },
    sourceIp: '127.0.0.1',
  };

  it('builds the HTTP API payload 2.0 event, headers lower-cased, a form body base64-encoded as API Gateway does', () => {
    const event = toApiGatewayEvent(request, Buffer.from('payload=%7B%7D'), new Date('2026-11-20T14:00:00Z'));
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /slack/events',
      rawPath: '/slack/events',
      rawQueryString: 'x=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-signature': 'v0=abc' },
      requestContext: { http: { method: 'POST', path: '/slack/events' }, timeEpoch: 1_795_183_200_000 },
      isBase64Encoded: true,
    });
    expect(Buffer.from(String(event.body), 'base64').toString()).toBe('payload=%7B%7D');
  });

  it('passes a JSON body as text', () => {
    const event = toApiGatewayEvent(
      { ...request, headers: { 'content-type': 'application/json' } },
      Buffer.from('{"type":"url_verification"}'),
    );
    expect(event).toMatchObject({ body: '{"type":"url_verification"}', isBase64Encoded: false });
  });
});

describe('startBotEndpoint', () => {
  it('answers with the handler’s result, and 500 when the handler throws', async () => {
    let fail = false;
    const endpoint = await startBotEndpoint({
      handler: async (event) => {
        if (fail) throw new Error('boom');
        return { statusCode: 201, headers: { 'X-Seen': event.rawPath }, body: 'made' };
      },
      onError: () => undefined,
    });
    try {
      const ok = await fetch(endpoint.url, { method: 'POST', body: 'x' });
      expect(ok.status).toBe(201);
      expect(ok.headers.get('x-seen')).toBe('/slack/events');
      expect(await ok.text()).toBe('made');
      fail = true;
      expect((await fetch(endpoint.url, { method: 'POST', body: 'x' })).status).toBe(500);
    } finally {
      await endpoint.close();
    }
  });
});
