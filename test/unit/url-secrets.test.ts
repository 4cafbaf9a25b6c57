import { prepareSyncInput } from '../../client/sync';
import { prepareUploadInput } from '../../client/upload';
import { syncSourceKey, syncSourceProblem } from '../../workflows/definitions/sync';
import { uploadSourceProblem } from '../../workflows/definitions/upload';
import {
  findUrlSecrets,
  isCredentialParam,
  plainHttpProblem,
  redactUrlSecrets,
  REDACTED,
  urlSecretsProblem,
} from '../../workflows/definitions/url-secrets';

const SECRET = 'Zq8secretValue0123';

describe('isCredentialParam', () => {
  it.each([
    'token',
    'TOKEN',
    'access_token',
    'id_token',
    'refresh-token',
    'X-Amz-Signature',
    'x-amz-credential',
    'X-Amz-Security-Token',
    'X-Amz-Date',
    'X-Goog-Signature',
    'sig',
    'Signature',
    'password',
    'passwd',
    'pwd',
    'secret',
    'client_secret',
    'key',
    'api_key',
    'apikey',
    'API-Key',
    'code',
    'AWSAccessKeyId',
    'GoogleAccessId',
    'jsessionid',
    'auth',
    '%73ig',
    'access%5Ftoken',
  ])('%s is a credential', (name) => {
    expect(isCredentialParam(name)).toBe(true);
  });

  it.each([
    'id',
    'v',
    'download',
    'se',
    'sp',
    'sv',
    'sr',
    'page_token',
    'nextPageToken',
    'keyword',
    'monkey2',
    'name',
  ])('%s is not', (name) => {
    expect(isCredentialParam(name)).toBe(false);
  });
});

describe('findUrlSecrets', () => {
  it.each([
    [`https://user:${SECRET}@h/x.iso`, [{ where: 'userinfo' }]],
    [`https://${SECRET}@h/x.iso`, [{ where: 'userinfo' }]],
    [`https://h/x.iso?token=${SECRET}`, [{ where: 'parameter', name: 'token' }]],
    [`https://h/x.iso?a=1&X-Amz-Signature=${SECRET}`, [{ where: 'parameter', name: 'X-Amz-Signature' }]],
    [
      `https://acct.blob.core.windows.net/c/x.iso?sv=2022-11-02&se=2030-01-01&sp=r&sig=${SECRET}`,
      [{ where: 'parameter', name: 'sig' }],
    ],
    [`https://h/x.iso#access_token=${SECRET}`, [{ where: 'parameter', name: 'access_token' }]],
    [`https://h/app;jsessionid=${SECRET}/x.iso`, [{ where: 'parameter', name: 'jsessionid' }]],
    // As a URL parser reads it: percent-encoded names and a tab inside the name.
    [`https://h/x.iso?%73ig=${SECRET}`, [{ where: 'parameter', name: '%73ig' }]],
    [`https://h/x.iso?si\tg=${SECRET}`, [{ where: 'parameter', name: 'sig' }]],
  ])('finds the credential in %s', (url, expected) => {
    expect(findUrlSecrets(url)).toEqual(expected);
  });

  it('lists each credential once', () => {
    expect(findUrlSecrets(`https://u:p@h/x?token=${SECRET}&sig=${SECRET}&token=2`)).toEqual([
      { where: 'userinfo' },
      { where: 'parameter', name: 'token' },
      { where: 'parameter', name: 'sig' },
    ]);
  });

  it.each([
    'https://h/x.iso',
    'https://h:8443/a/b/x.iso?download=1&v=2',
    'https://h/x.iso?token=',
    'https://h/x.iso#section',
    'https://acct.blob.core.windows.net/c/x.iso?sv=2022-11-02&sp=r',
    'http://h/dl?id=7',
    'not a url',
  ])('finds nothing in %s', (url) => {
    expect(findUrlSecrets(url)).toEqual([]);
  });
});

describe('redactUrlSecrets', () => {
  it.each([
    [`https://admin:${SECRET}@vc.example.com/rest`, `https://admin:${REDACTED}@vc.example.com/rest`],
    [`https://${SECRET}@github.com/o/r.git`, `https://${REDACTED}@github.com/o/r.git`],
    [`https://h/x.iso?sig=${SECRET}`, `https://h/x.iso?sig=${REDACTED}`],
    [
      `https://b.s3.amazonaws.com/x.iso?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2025&X-Amz-Signature=${SECRET}`,
      `https://b.s3.amazonaws.com/x.iso?X-Amz-Algorithm=${REDACTED}&X-Amz-Credential=${REDACTED}&X-Amz-Signature=${REDACTED}`,
    ],
    [`https://h/x.iso?v=2&token=${SECRET}&name=a`, `https://h/x.iso?v=2&token=${REDACTED}&name=a`],
    [`https://h/cb#access_token=${SECRET}&state=s`, `https://h/cb#access_token=${REDACTED}&state=s`],
    // In free text: a server message, a JSON log line, a bare path.
    [
      `source https://h/x.iso?token=${SECRET} answered HTTP 403`,
      `source https://h/x.iso?token=${REDACTED} answered HTTP 403`,
    ],
    [`{"uri":"https://h/x.iso?sig=${SECRET}","n":1}`, `{"uri":"https://h/x.iso?sig=${REDACTED}","n":1}`],
    [`{\\"uri\\":\\"https://h/x?sig=${SECRET}\\"}`, `{\\"uri\\":\\"https://h/x?sig=${REDACTED}\\"}`],
    [`GET /files/x.iso?api_key=${SECRET} failed`, `GET /files/x.iso?api_key=${REDACTED} failed`],
  ])('redacts %s', (input, expected) => {
    expect(redactUrlSecrets(input)).toBe(expected);
  });

  it('leaves URLs without credentials, and ordinary text, exactly as they were', () => {
    for (const s of [
      'https://h:8443/a/b/x.iso?download=1&v=2#top',
      'http://h/dl?id=7',
      'user@example.com wrote: see https://h/x',
      'a=b&c=d',
    ]) {
      expect(redactUrlSecrets(s)).toBe(s);
    }
  });

  it('changes nothing findUrlSecrets accepts (so sync stamps of accepted URLs stay as they were)', () => {
    const urls = [
      'https://h/x.iso',
      'https://h/x.iso?download=1',
      'https://h/a;v=1/x.iso?sv=1&sp=r',
      'https://h/%7Euser/x.iso?q=a%26b',
    ];
    for (const url of urls) {
      expect(findUrlSecrets(url)).toEqual([]);
      expect(redactUrlSecrets(url)).toBe(url);
    }
  });
});

describe('urlSecretsProblem and plainHttpProblem', () => {
  it('name the field and the fix and show the URL without the secret', () => {
    const message = urlSecretsProblem(`https://u:${SECRET}@h/x.iso?sig=${SECRET}`, 'source.url')!;
    expect(message).toMatch(
      /^source\.url carries credentials \(a user name or password, the parameter "sig"\): /,
    );
    expect(message).toContain(`https://u:${REDACTED}@h/x.iso?sig=${REDACTED}`);
    expect(message).toContain('upload it as a file source');
    expect(message).not.toContain(SECRET);
    expect(urlSecretsProblem('https://h/x.iso', 'source.url')).toBeUndefined();
  });

  it('refuse plain http unless allowed', () => {
    expect(plainHttpProblem('http://h/x.iso', 'source.url', undefined, '--allow-plain-http')).toMatch(
      /^source\.url is plain http \(http:\/\/h\/x\.iso\).*--allow-plain-http$/,
    );
    expect(plainHttpProblem('HTTP://h/x.iso', 'source.url', false, 'f')).toBeDefined();
    expect(plainHttpProblem('http://h/x.iso', 'source.url', true, 'f')).toBeUndefined();
    expect(plainHttpProblem('https://h/x.iso', 'source.url', undefined, 'f')).toBeUndefined();
  });

  it('apply to upload URL sources and sync index sources only', () => {
    expect(uploadSourceProblem({ kind: 'url', url: `https://h/x?token=${SECRET}` })).toContain('source.url');
    expect(uploadSourceProblem({ kind: 'url', url: 'http://h/x.iso' })).toContain(
      'clo upload --allow-plain-http',
    );
    expect(uploadSourceProblem({ kind: 'url', url: 'http://h/x.iso', allowPlainHttp: true })).toBeUndefined();
    expect(uploadSourceProblem({ kind: 'file', path: '/a?token=x' })).toBeUndefined();
    expect(syncSourceProblem({ kind: 'index', url: 'http://h/i.json', verify: true })).toContain(
      'clo sync --allow-plain-http',
    );
    expect(
      syncSourceProblem({ kind: 'index', url: 'http://h/i.json', verify: true, allowPlainHttp: true }),
    ).toBeUndefined();
    expect(syncSourceProblem({ kind: 'catalog', path: '/srv' })).toBeUndefined();
  });
});

describe('the client', () => {
  const upload = (url: string, allowPlainHttp?: boolean) => ({
    vcenter: 'vc',
    library: { name: 'lib' },
    item: { name: 'item' },
    source: { kind: 'url' as const, url, ...(allowPlainHttp ? { allowPlainHttp } : {}) },
  });

  it('refuses a credential URL with InvalidInputError before anything starts, without the secret', () => {
    let err: Error | undefined;
    try {
      prepareUploadInput(upload(`https://h/x.iso?X-Amz-Signature=${SECRET}`));
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe('InvalidInputError');
    expect(err?.message).toContain('invalid upload input: source.url carries credentials');
    expect(err?.message).not.toContain(SECRET);
    expect(() =>
      prepareSyncInput({
        vcenter: 'vc',
        library: { name: 'l' },
        source: { kind: 'index', url: `https://${SECRET}@h/i.json` },
      }),
    ).toThrow(/^invalid sync input: source\.url carries credentials/);
  });

  it('refuses plain http unless allowPlainHttp', () => {
    expect(() => prepareUploadInput(upload('http://h/x.iso'))).toThrow(/source\.url is plain http/);
    expect(prepareUploadInput(upload('http://h/x.iso', true)).source).toMatchObject({ allowPlainHttp: true });
    expect(prepareUploadInput(upload('https://h/x.iso?download=1')).source).toMatchObject({
      url: 'https://h/x.iso?download=1',
    });
  });
});

describe('syncSourceKey', () => {
  it('is the index URL as given when it carries no credentials, so existing stamps still match', () => {
    expect(syncSourceKey({ kind: 'index', url: 'https://h/c/index.json?v=2', verify: true })).toBe(
      'index:https://h/c/index.json?v=2',
    );
  });

  it('never carries a credential', () => {
    const key = syncSourceKey({
      kind: 'index',
      url: `https://u:${SECRET}@h/i.json?sig=${SECRET}`,
      verify: true,
    });
    expect(key).not.toContain(SECRET);
  });
});
