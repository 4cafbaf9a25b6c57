import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';

/** Answers a test HTTP server's request with a file from disk (streamed, with its length), or 404. */
export function serveFile(res: ServerResponse, path: string): void {
  stat(path).then(
    (s) => {
      res.writeHead(200, { 'content-length': s.size });
      createReadStream(path).pipe(res);
    },
    () => res.writeHead(404).end(),
  );
}
