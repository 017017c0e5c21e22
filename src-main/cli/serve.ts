/**
 * `vocab-tuner serve [--port N] [--data-dir DIR] [--no-open]`: the app in a browser. Prints the
 * URL (with its one-time token) and serves until interrupted.
 */
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { resolveDataDir } from '../store/paths.ts';
import { UserError } from '../util/errors.ts';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, 'data-dir': { type: 'string' }, 'no-open': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(
      'Usage: vocab-tuner serve [--port N] [--data-dir DIR] [--no-open] [--json]\n' +
        'Serves the app on http://127.0.0.1:PORT for a browser on this machine (or through an SSH tunnel).\n' +
        'The printed URL holds a random token; only a page opened from it can use the API.\n' +
        'Tunnel from a laptop: ssh -L 9000:127.0.0.1:PORT gpu-box, then open the printed URL with its port\n' +
        'changed to 9000 (any free local port works; the page must be opened through the tunnel).',
    );
    return 0;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError('INVALID_ARGUMENT', `--port ${values.port} is not a port number: use 1–65535, or leave it out for a free one.`);
  const { ensureRendererBuilt } = await import('../server/renderer-build.ts');
  const { startServer } = await import('../server/serve.ts');
  // VOCAB_TUNER_RENDERER_DIR: serve an already-built renderer folder as is (a package, the tests).
  const rendererDir = process.env.VOCAB_TUNER_RENDERER_DIR || (await ensureRendererBuilt((s) => console.error(s)));
  const dataDir = resolveDataDir({ flag: values['data-dir'] });
  let server;
  try {
    server = await startServer({ dataDir, rendererDir, port });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UserError('PORT_IN_USE', `Port ${port} is already in use: pick another with --port, or leave it out for a free one.`);
    throw e;
  }
  if (values.json) console.log(JSON.stringify({ url: server.url, port: server.port, dataDir }));
  else console.log(`Vocab Tuner is serving ${dataDir}\n\n  ${server.url}\n\nOpen that URL in a browser on this machine. Ctrl+C stops the server.`);
  if (!values['no-open'] && !values.json) openBrowser(server.url);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {}); // no desktop opener (a server): the printed URL is enough
    child.unref();
  } catch {
    /* same: printing the URL is the fallback */
  }
}
