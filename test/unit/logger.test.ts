import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { createLogger } from '../../activities/logger';

const SECRET = 'Zq8secretValue0123';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes no URL credential, wherever in the line it is', () => {
    const { lines, stream } = capture();
    const log = createLogger('test', stream);
    log.info(
      { url: `https://h/x.iso?X-Amz-Signature=${SECRET}` },
      `pull https://svc:${SECRET}@h/x.iso failed`,
    );
    log.warn(
      {
        error: ApplicationFailure.nonRetryable(
          `the server could not pull https://h/x?token=${SECRET}`,
          'PullFailed',
        ),
      },
      'Activity failed',
    );
    const out = lines.join('');
    expect(out).not.toContain(SECRET);
    expect(out).toContain('X-Amz-Signature=[REDACTED]');
    expect(out).toContain('https://svc:[REDACTED]@h/x.iso');
    expect(out).toContain('token=[REDACTED]');
  });

  it("logs a failure's type and message (the SDK logs failed activities as `error`)", () => {
    const { lines, stream } = capture();
    createLogger('test', stream).warn(
      {
        error: ApplicationFailure.nonRetryable(
          'the server could not pull https://h/x.iso: HTTP 404',
          'PullFailed',
        ),
      },
      'Activity failed',
    );
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: 'Activity failed',
      error: {
        type: 'PullFailed',
        nonRetryable: true,
        message: 'the server could not pull https://h/x.iso: HTTP 404',
      },
    });
  });
});
